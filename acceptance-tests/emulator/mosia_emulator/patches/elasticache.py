"""placeholder"""


def apply(state):
    pass
