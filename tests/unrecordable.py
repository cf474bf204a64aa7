"""A click message that decodes but that no store can record: its user agent is a lone
surrogate, which neither SQLite nor DynamoDB's JSON protocol can encode."""

UNRECORDABLE = ('{"v":1,"id":"0000018c00000000000000000000beef","code":"%s",'
                '"ts":1700000000.0,"ua":"\\ud800","ref":"","ip":""}')


def unrecordable(code: str) -> str:
    return UNRECORDABLE % code
