from orderly.kit.errors import Conflict, InvalidInput, NotFound


class ChannelNotFound(NotFound):
    code = "channel_not_found"


class ChannelCodeTaken(Conflict):
    code = "channel_code_taken"


class UnknownChannel(InvalidInput):
    """An order names a channel the organization does not have, or has deactivated."""

    code = "unknown_channel"
