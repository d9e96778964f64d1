"""The corpus of public Rasa projects the oracle bench (bench_rasa_oracle.py) measures on.

    python bench/rasa_corpus.py [--mirror /work/.mirror] [--out ../rasa-corpus]

Each entry is a public GitHub repository at a fixed commit (and the folder of the project in
it). Their files are never copied into this repository: this script exports each one from a
local snapshot of the repository (a git directory, as the workplace's ``fetch`` tool or a
``git clone`` leaves it under ``--mirror``) into ``--out``, outside the checkout. Only the
text files a Rasa project is made of are exported (YAML, Python, JSON, Markdown); large
binary files are left out.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT.parent / "rasa-corpus"
DEFAULT_MIRROR = Path("/work/.mirror")
TEXT = (".yml", ".yaml", ".py", ".json", ".md", ".txt")

# (repository, commit, folder of the project in it): RasaHQ's demo bots and community bots with
# test stories (the first ones, alphabetically, of a search for tests/test_stories.yml that are
# not the `rasa init` moodbot), taken as they are.
PROJECTS: list[tuple[str, str, str]] = [
    ("RasaHQ/financial-demo", "7627cebef1571d55855b886cf4ac20459af9566c", ""),
    ("RasaHQ/retail-demo", "4137920c1e7090d4571b27b79867cdea1428a159", ""),
    ("RasaHQ/helpdesk-assistant", "2e9f2258c6648488bd02af86ea2803de5a9fde04", ""),
    ("RasaHQ/rasa-action-examples", "fe88ed2f7d5f5647ca49c2cda89eaeb0b0bb470b", "retreival-lunr"),
    ("1ADIS1/fear-and-rasa", "aa862805eee1ccd899f374043db28119d49ca6fb", ""),
    ("Abhijeet-14/hotelBot", "8c135e0ebcaf046922e4d6ab9b16d0a942a78a70", ""),
    ("AlessandroMele/ADMT_bot", "9305c60e1090a7357569363b34a282ddfbb7490b", ""),
    ("AlexSischin/PizzaBot", "6935c44adf72fe16d70797758043ff16e3c1a4f5", ""),
    ("AngelLamp/rasa-movies-bot", "e4bbac1436b1595e7fb54de23f9f3a77cbe364a3", ""),
    ("BkHassan/ai-powered-car-rental-chatbot", "13b230aaa55f07943f8d278db5600ea26ef996bd", "rasa"),
    ("Bodomerka/weather-bot-rasa", "b9f6b93b9490172e591303411a4394ea3daab7f1", ""),
    ("Bossy-Ye/ConcertBot", "103c0062c08ada058718143e44594ddb57b6952a", ""),
    ("CamillaSpi/Cogrob_rasa_midterm", "0e69d6d8063f237092d9eaa4096882d709d32e31", ""),
    ("Checcolino1312/chatbot_forms", "ea9d77fe87f9cb642f192b2ba666b19e8239f326", ""),
    ("CrossEyedCat/clinic-chatbot", "17e85343b452ab9af03f0c9856853ccd8da2f4f1", ""),
]


def project_name(repo: str, folder: str) -> str:
    return repo.replace("/", "+") + (f"+{folder.replace('/', '+')}" if folder else "")


def git_dir(mirror: Path, repo: str) -> Path | None:
    """The git directory of ``repo``'s snapshot under ``mirror`` (``owner+name/repo[/.git]``)."""
    base = mirror / repo.replace("/", "+") / "repo"
    for candidate in (base / ".git", base):
        if (candidate / "HEAD").is_file() or (candidate / "objects").is_dir():
            return candidate
    return None


def export(repo: str, commit: str, folder: str, mirror: Path, out: Path) -> Path:
    """Write the project's text files at ``commit`` into ``out/<name>``; returns that folder."""
    git = git_dir(mirror, repo)
    if git is None:
        raise FileNotFoundError(f"no snapshot of {repo} under {mirror}: fetch or clone it there first")
    dest = out / project_name(repo, folder)
    listing = subprocess.run(["git", "--git-dir", str(git), "ls-tree", "-r", commit, "--", folder or "."],
                             capture_output=True, text=True, check=True).stdout
    for line in listing.splitlines():
        meta, path = line.split("\t", 1)
        _, kind, sha = meta.split()
        if kind != "blob" or not path.endswith(TEXT):
            continue
        blob = subprocess.run(["git", "--git-dir", str(git), "cat-file", "blob", sha], capture_output=True)
        if blob.returncode != 0:  # a large file the snapshot left out
            continue
        target = dest / Path(path).relative_to(folder) if folder else dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(blob.stdout)
    return dest


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--mirror", default=str(DEFAULT_MIRROR), help="where the repositories' snapshots are (default: /work/.mirror)"
    )
    p.add_argument(
        "--out",
        default=str(DEFAULT_OUT),
        help="where to export the projects (default: ../rasa-corpus, outside the checkout)",
    )
    args = p.parse_args()
    out = Path(args.out).resolve()
    if out == ROOT or ROOT in out.parents:
        sys.exit("--out must be outside the checkout: the corpus's files are not part of dialogkit")
    missing = []
    for repo, commit, folder in PROJECTS:
        try:
            print(export(repo, commit, folder, Path(args.mirror), out), file=sys.stderr)
        except (FileNotFoundError, subprocess.CalledProcessError) as e:
            missing.append(f"{repo}@{commit[:10]}: {e}")
    if missing:
        sys.exit("not exported:\n  " + "\n  ".join(missing))


if __name__ == "__main__":
    main()
