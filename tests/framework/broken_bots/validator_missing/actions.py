def check_size(value, tracker):
    return value
