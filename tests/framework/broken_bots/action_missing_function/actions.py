def book_table(tracker, dispatcher):
    dispatcher.utter(text="booked")
    return []
