# Links and click analytics tables.
#
# links:  code (S) -> the link; `ttl` is set only on links that expire (the redirect still
#         checks expiry itself because TTL deletion lags by hours). A link made with an
#         API key carries `owner`: the sparse GSI `by_owner` (owner, created_at) lists a
#         key's links newest first. API keys live here too, as `key#<id>` items and a
#         `keys#` directory (no short code can contain `#`).
# clicks: raw click rows   pk = "C#<code>", sk = "<click_id>" (time-sortable), `ttl` set;
#         aggregate rows   pk = "A#<code>", sk = "<dim>#<key>", count `n`, and
#                          gpk = "<code>#<dim>" on top-N dimensions -> GSI `top` (gpk, n).

resource "aws_dynamodb_table" "links" {
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

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.server_side_encryption_kms_key_arn
  }

  tags = var.tags
}

resource "aws_dynamodb_table" "clicks" {
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

  attribute {
    name = "gpk"
    type = "S"
  }

  attribute {
    name = "n"
    type = "N"
  }

  # Top-N per dimension: Query gpk = "<code>#<dim>", ScanIndexForward = false, Limit = 5.
  # Sparse: only aggregate rows carry gpk, so raw click rows cost nothing here.
  global_secondary_index {
    name            = "top"
    hash_key        = "gpk"
    range_key       = "n"
    projection_type = "ALL"
  }

  ttl {
    attribute_name = "ttl"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery_enabled
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.server_side_encryption_kms_key_arn
  }

  tags = var.tags
}
