def book_table(tracker, dispatcher)
    return []
