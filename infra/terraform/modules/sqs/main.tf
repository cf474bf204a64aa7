# Click queue with a dead-letter queue and an alarm on the dead-letter queue's depth.
#
# A message the consumer fails `dlq_max_receive_count` times moves to the DLQ and is kept
# `dlq_message_retention_seconds` (default 14 days), so the main queue never blocks on it.

resource "aws_sqs_queue" "dlq" {
  name                      = coalesce(var.dlq_name, "${var.name}-dlq")
  message_retention_seconds = var.dlq_message_retention_seconds
  receive_wait_time_seconds = var.receive_wait_time_seconds
  sqs_managed_sse_enabled   = true

  tags = var.tags
}

resource "aws_sqs_queue" "this" {
  name                       = var.name
  visibility_timeout_seconds = var.visibility_timeout_seconds
  message_retention_seconds  = var.message_retention_seconds
  receive_wait_time_seconds  = var.receive_wait_time_seconds
  sqs_managed_sse_enabled    = true

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = var.dlq_max_receive_count
  })

  tags = var.tags

  lifecycle {
    precondition {
      # AWS guidance for SQS event sources: the visibility timeout must cover the consumer's
      # timeout several times over plus the batching window, or a batch is redelivered
      # while it is still being gathered or processed.
      condition     = var.visibility_timeout_seconds >= 6 * var.consumer_timeout_seconds + var.consumer_batching_window
      error_message = "visibility_timeout_seconds must be at least 6 x consumer_timeout_seconds + consumer_batching_window."
    }
    precondition {
      # A message's age counts from its first enqueue, also in the DLQ: a DLQ that keeps
      # messages for less time than the main queue would drop them on arrival.
      condition     = var.dlq_message_retention_seconds >= var.message_retention_seconds
      error_message = "dlq_message_retention_seconds must be >= message_retention_seconds."
    }
  }
}

# Only the click queue may use the DLQ as its dead-letter target.
resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  queue_url = aws_sqs_queue.dlq.id

  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.this.arn]
  })
}

resource "aws_cloudwatch_metric_alarm" "dlq" {
  count = var.dlq_alarm_enabled ? 1 : 0

  alarm_name          = "${aws_sqs_queue.dlq.name}-not-empty"
  alarm_description   = "Clicks failed ${var.dlq_max_receive_count} times and wait in ${aws_sqs_queue.dlq.name}: inspect them, fix the cause, then redrive (linkpulse dlq list / dlq redrive)."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dlq.name }
  statistic           = "Maximum"
  period              = var.dlq_alarm_period_seconds
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.dlq_alarm_sns_topic_arn == null ? [] : [var.dlq_alarm_sns_topic_arn]
  ok_actions          = var.dlq_alarm_sns_topic_arn == null ? [] : [var.dlq_alarm_sns_topic_arn]

  tags = var.tags
}
