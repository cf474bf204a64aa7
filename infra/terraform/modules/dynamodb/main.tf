# Links and click analytics tables.
#
# links:  code (S) -> the link; `ttl` is set only on links that expire (the redirect still
#         checks expiry itself because TTL deletion lags by hours). A link made with an
#         API key carries `owner`: the sparse GSI `by_owner` (owner, created_at) lists a
#         key's links newest first. API keys live here too, as `key#<id>` items and a
#         `keys#` directory (no short code can contain `#`).
# clicks: raw click rows   pk = "C#<code>", sk = "<click_id>" (time-sortable), `ttl` set;
#         counter items    pk = "A#<code>", sk = "s#<day>#<hour>": one per link and 6-hour
#                          slot, every count of the slot as one attribute (no index: stats
#                          rank a link's keys from its slot items);
#         names            pk = "K#<hash>", sk = "k": the user agent or referer of a hash.

resource "aws_dynamodb_table" "links" {
  #checkov:skip=CKV_AWS_28:Point-in-time recovery is opt-in (point_in_time_recovery_enabled, $0.20 per GB-month): clicks are rebuilt from nothing else, but the default stack is the cheapest that keeps exactly-once counting.
  #checkov:skip=CKV_AWS_119:A customer-managed key is opt-in (customer_managed_key_enabled, $1-3 a month plus requests); by default DynamoDB encrypts at rest with an AWS-owned key at no charge.
  name                        = var.links_table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "code"
  deletion_protection_enabled = var.deletion_protection_enabled

  attribute {
    name = "code"
    type = "S"
  }

  attribute {
    name = "owner"
    type = "S"
  }

  attribute {
    name = "created_at"
    type = "N"
  }

  global_secondary_index {
    name            = "by_owner"
    hash_key        = "owner"
    range_key       = "created_at"
    projection_type = "ALL"
  }

  ttl {
    attribute_name = "ttl"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery_enabled
  }

  # Without a key, DynamoDB's default encryption at rest with an AWS-owned key (free).
  dynamic "server_side_encryption" {
    for_each = var.server_side_encryption_kms_key_arn == null ? [] : [var.server_side_encryption_kms_key_arn]

    content {
      enabled     = true
      kms_key_arn = server_side_encryption.value
    }
  }

  tags = var.tags
}

resource "aws_dynamodb_table" "clicks" {
  #checkov:skip=CKV_AWS_28:Point-in-time recovery is opt-in (point_in_time_recovery_enabled, $0.20 per GB-month): clicks are rebuilt from nothing else, but the default stack is the cheapest that keeps exactly-once counting.
  #checkov:skip=CKV_AWS_119:A customer-managed key is opt-in (customer_managed_key_enabled, $1-3 a month plus requests); by default DynamoDB encrypts at rest with an AWS-owned key at no charge.
  name                        = var.clicks_table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "pk"
  range_key                   = "sk"
  deletion_protection_enabled = var.deletion_protection_enabled

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "S"
  }

  ttl {
    attribute_name = "ttl"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery_enabled
  }

  # Without a key, DynamoDB's default encryption at rest with an AWS-owned key (free).
  dynamic "server_side_encryption" {
    for_each = var.server_side_encryption_kms_key_arn == null ? [] : [var.server_side_encryption_kms_key_arn]

    content {
      enabled     = true
      kms_key_arn = server_side_encryption.value
    }
  }

  tags = var.tags
}
