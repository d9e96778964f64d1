def book_table(tracker):
    return []
