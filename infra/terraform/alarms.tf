# Alarms on the pipeline (docs/operations.md has the same three as Prometheus rules):
#
# - dead-letter queue not empty: module.sqs's `dlq` alarm (AWS/SQS, on the DLQ's depth);
# - clicks waiting a minute longer than the batching window allows: the consumer is
#   down, throttled or failing;
# - error ratio: the share of API requests answered with a 5xx.
#
# They read the metrics SQS and API Gateway publish themselves, at no cost and also when
# a function crashes or times out before it could write a line. The handlers' own
# metrics (namespace `linkpulse`, written as EMF by Powertools: Redirects by outcome,
# LinksCreated, ClicksQueued, ClicksRecorded, BatchSize, BatchDuration) are for
# dashboards and for the clicks-per-redirect comparison docs/operations.md describes.
#
# Notifications go to var.alarm_sns_topic_arn, like the dead-letter alarm's.

variable "alarm_queue_age_threshold_seconds" {
  description = "Alarm when the oldest click in the queue has waited this many seconds longer than analytics_batching_window_seconds (the consumer is behind or failing). A click normally waits up to the window: the event source mapping holds received clicks, which SQS still counts in ApproximateAgeOfOldestMessage, until the window closes."
  type        = number
  default     = 60

  validation {
    condition     = var.alarm_queue_age_threshold_seconds >= 1 && var.alarm_queue_age_threshold_seconds <= 1209600
    error_message = "alarm_queue_age_threshold_seconds must be 1-1209600 (SQS keeps a message at most 14 days)."
  }
}

variable "alarm_error_ratio_threshold" {
  description = "Alarm when more than this share of API requests (0-1) is answered with a 5xx over alarm_error_ratio_period_seconds."
  type        = number
  default     = 0.01

  validation {
    condition     = var.alarm_error_ratio_threshold > 0 && var.alarm_error_ratio_threshold < 1
    error_message = "alarm_error_ratio_threshold is a share of requests: greater than 0, less than 1."
  }
}

variable "alarm_error_ratio_period_seconds" {
  description = "Window over which the error ratio is computed, in seconds (a multiple of 60)."
  type        = number
  default     = 300

  validation {
    condition     = var.alarm_error_ratio_period_seconds >= 60 && var.alarm_error_ratio_period_seconds <= 86400 && floor(var.alarm_error_ratio_period_seconds / 60) * 60 == var.alarm_error_ratio_period_seconds
    error_message = "alarm_error_ratio_period_seconds must be a multiple of 60 between 60 and 86400."
  }
}

locals {
  alarm_actions = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]
  # Received clicks stay in flight (and count as waiting) until the window closes: a
  # threshold under the window would fire on every quiet batch.
  queue_age_threshold = var.analytics_batching_window_seconds + var.alarm_queue_age_threshold_seconds
}

resource "aws_cloudwatch_metric_alarm" "queue_age" {
  alarm_name          = "${var.name}-clicks-waiting"
  alarm_description   = "The oldest click in ${module.sqs.queue_name} waited more than ${local.queue_age_threshold} s (the ${var.analytics_batching_window_seconds} s batching window plus ${var.alarm_queue_age_threshold_seconds} s): the analytics function is failing, throttled or not running. Clicks are not lost (they wait in the queue), only counted late."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateAgeOfOldestMessage"
  dimensions          = { QueueName = module.sqs.queue_name }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = local.queue_age_threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = local.tags
}

resource "aws_cloudwatch_metric_alarm" "error_ratio" {
  alarm_name          = "${var.name}-error-ratio"
  alarm_description   = "More than ${var.alarm_error_ratio_threshold * 100}% of API requests got a 5xx over ${var.alarm_error_ratio_period_seconds} s: see the functions' logs (a 503 names the storage failure)."
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarm_error_ratio_threshold
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  metric_query {
    id          = "ratio"
    expression  = "IF(requests > 0, errors / requests, 0)"
    label       = "5xx share of requests"
    return_data = true
  }

  metric_query {
    id = "errors"

    metric {
      namespace   = "AWS/ApiGateway"
      metric_name = "5xx"
      dimensions  = { ApiId = module.api_gateway.api_id }
      stat        = "Sum"
      period      = var.alarm_error_ratio_period_seconds
    }
  }

  metric_query {
    id = "requests"

    metric {
      namespace   = "AWS/ApiGateway"
      metric_name = "Count"
      dimensions  = { ApiId = module.api_gateway.api_id }
      stat        = "Sum"
      period      = var.alarm_error_ratio_period_seconds
    }
  }

  tags = local.tags
}

output "alarm_arns" {
  description = "ARNs of the pipeline's alarms: dead-letter queue not empty, clicks waiting too long, API error ratio."
  value = {
    dlq_not_empty = module.sqs.dlq_alarm_arn
    queue_age     = aws_cloudwatch_metric_alarm.queue_age.arn
    error_ratio   = aws_cloudwatch_metric_alarm.error_ratio.arn
  }
}
