"""A click message that decodes and classifies but that no store can record: its referer
is a lone surrogate, which neither SQLite nor DynamoDB's client can encode."""

UNRECORDABLE = ('{"v":1,"id":"0000018c00000000000000000000beef","code":"%s",'
                '"ts":1700000000.0,"ua":"Mozilla/5.0","ref":"\\ud800","ip":""}')


def unrecordable(code: str) -> str:
    return UNRECORDABLE % code
