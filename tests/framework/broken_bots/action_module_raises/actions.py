import os

SERVICE_URL = os.environ["BOOKING_SERVICE_URL"]  # raises KeyError when it is not set


def book_table(tracker, dispatcher):
    dispatcher.utter(text="booked")
    return []
