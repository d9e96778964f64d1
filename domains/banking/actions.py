"""Custom actions of the banking bot (a fake in-memory bank)."""

BALANCES = {"checking": 1250.50, "savings": 8020.00}


BRANCHES = [
    {"name": "Market Street", "area": "centre", "hours": "9am to 5pm", "atm": True},
    {"name": "Harbour", "area": "east", "hours": "10am to 4pm", "atm": False},
    {"name": "Northgate", "area": "north", "hours": "9am to 6pm", "atm": True},
    {"name": "Riverside", "area": "north", "atm": True},
]


def find_branches(tracker, dispatcher):
    """The branches in the area asked for (all of them without one), said as records."""
    area = tracker.get_slot("area")
    found = [b for b in BRANCHES if area is None or b["area"] == area]
    dispatcher.utter(response="utter_branch", record=found)
    return []


def check_balance(tracker, dispatcher):
    account = tracker.get_slot("account") or "checking"
    return [{"event": "slot", "name": "balance", "value": BALANCES[account]}]


def validate_amount(value, tracker):
    """Refuse transfers larger than the account's balance."""
    account = tracker.get_slot("account") or "checking"
    return value if value <= BALANCES[account] else None


def transfer(tracker, dispatcher):
    account = tracker.get_slot("account") or "checking"
    new_balance = round(BALANCES[account] - tracker.get_slot("amount"), 2)
    return [{"event": "slot", "name": "balance", "value": new_balance}]


def block_card(tracker, dispatcher):
    if tracker.get_slot("card") not in ("debit", "credit"):
        raise ValueError("no card to block")
    return []
