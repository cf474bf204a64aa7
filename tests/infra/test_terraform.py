"""The Terraform in infra/terraform, checked offline: every .tf parses (python-hcl2) and
declares the properties the AWS shape depends on. No terraform binary, no AWS account."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("hcl2", reason="python-hcl2 is in the `test` extra")

from tests.terraform_support import parse

ROOT = Path(__file__).resolve().parents[2] / "infra" / "terraform"
MODULES = ("lambda", "dynamodb", "sqs", "api_gateway")
MODULE_DIRS = [ROOT, *(ROOT / "modules" / m for m in MODULES), ROOT / "examples" / "complete"]
TF_FILES = sorted(ROOT.rglob("*.tf"))

# What each function's code calls (the contract with the AWS code; /work/notes/aws_contract.md).
LINKS = "${module.dynamodb.links_table_arn}"
CLICKS = "${module.dynamodb.clicks_table_arn}"
QUEUE = "${module.sqs.queue_arn}"
EXPECTED_GRANTS = {
    # GetItem on links: the caller's API key and the domain blocklist; UpdateItem: the
    # key's last use.
    "shortener": {("dynamodb:PutItem", LINKS), ("dynamodb:GetItem", LINKS),
                  ("dynamodb:UpdateItem", LINKS)},
    "redirect": {("dynamodb:GetItem", LINKS), ("dynamodb:PutItem", LINKS),  # + visitor salt
                 ("sqs:SendMessage", QUEUE)},
    "analytics": {
        ("dynamodb:PutItem", CLICKS),
        ("dynamodb:UpdateItem", CLICKS),
        ("dynamodb:BatchWriteItem", CLICKS),
        ("sqs:ReceiveMessage", QUEUE),
        ("sqs:DeleteMessage", QUEUE),
        ("sqs:GetQueueAttributes", QUEUE),
    },
    "stats": {
        ("dynamodb:GetItem", LINKS),
        ("dynamodb:UpdateItem", LINKS),
        ("dynamodb:Query", CLICKS),
        ("dynamodb:BatchGetItem", CLICKS),
    },
    "manage": {
        *((f"dynamodb:{a}", LINKS)
          for a in ("GetItem", "PutItem", "UpdateItem", "Scan", "BatchGetItem")),
        ("dynamodb:Query", f"{LINKS}/index/by_owner"),
        ("dynamodb:Query", CLICKS),
    },
}


# --- parsing ----------------------------------------------------------------------------


def blocks(directory: Path, kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(label, body) of every `kind` block (variable, output, module, locals) in a directory."""
    for path in sorted(directory.glob("*.tf")):
        for block in parse(path).get(kind, []):
            yield from block.items()


def resources(directory: Path, rtype: str, kind: str = "resource") -> dict[str, dict[str, Any]]:
    """Resources (or, with kind="data", data sources) of one type, keyed by name."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.glob("*.tf")):
        for block in parse(path).get(kind, []):
            for name, body in block.get(rtype, {}).items():
                found[name] = body
    return found


def single(value: Any) -> dict[str, Any]:
    """A nested block: python-hcl2 gives a list of one dict (or, in some versions, the dict)."""
    if isinstance(value, list):
        assert len(value) == 1, value
        value = value[0]
    assert isinstance(value, dict), value
    return value


def variables(directory: Path) -> dict[str, dict[str, Any]]:
    return dict(blocks(directory, "variable"))


def modules() -> dict[str, dict[str, Any]]:
    return dict(blocks(ROOT, "module"))


def default(directory: Path, reference: str) -> Any:
    """The default of `${var.x}` declared in `directory`."""
    match = re.fullmatch(r"\$\{var\.(\w+)\}", reference)
    assert match, f"expected a plain variable reference, got {reference!r}"
    return variables(directory)[match.group(1)]["default"]


def local_value(reference: str) -> Any:
    """Follow `${local.a.b.c}` through the root module's locals."""
    match = re.fullmatch(r"\$\{local\.([\w.]+)\}", reference)
    assert match, reference
    value: Any = {k: v for block in _locals() for k, v in block.items()}
    for part in match.group(1).split("."):
        value = value[part]
    return value


def _locals() -> list[dict[str, Any]]:
    return [block for path in sorted(ROOT.glob("*.tf")) for block in parse(path).get("locals", [])]


def resolve(directory: Path, value: Any) -> Any:
    """A literal, or the default of the variable / the local it names."""
    if isinstance(value, str) and value.startswith("${var."):
        return default(directory, value)
    if isinstance(value, str) and value.startswith("${local."):
        return resolve(directory, local_value(value))
    return value


# --- layout and conventions ----------------------------------------------------------------


def test_every_tf_file_parses() -> None:
    """GIVEN every .tf under infra/terraform THEN python-hcl2 parses it."""
    assert len(TF_FILES) >= 20
    for path in TF_FILES:
        assert isinstance(parse(path), dict), path


@pytest.mark.parametrize("directory", MODULE_DIRS, ids=lambda d: str(d.relative_to(ROOT)) or ".")
def test_module_has_the_four_standard_files(directory: Path) -> None:
    for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf"):
        assert (directory / name).is_file(), directory / name


@pytest.mark.parametrize("directory", MODULE_DIRS, ids=lambda d: str(d.relative_to(ROOT)) or ".")
def test_versions_pin_terraform_and_the_aws_provider(directory: Path) -> None:
    terraform = single(parse(directory / "versions.tf")["terraform"])
    assert terraform["required_version"] == ">= 1.5"
    aws = single(terraform["required_providers"])["aws"]
    assert aws["source"] == "hashicorp/aws"
    assert aws["version"].startswith("~> 5.")


def test_every_variable_has_a_type_and_a_description() -> None:
    count = 0
    for directory in MODULE_DIRS:
        for name, body in variables(directory).items():
            count += 1
            assert body.get("type"), f"{directory}: variable {name} has no type"
            assert body.get("description"), f"{directory}: variable {name} has no description"
    assert count > 50


def test_every_output_has_a_description() -> None:
    for directory in MODULE_DIRS:
        for name, body in blocks(directory, "output"):
            assert body.get("description"), f"{directory}: output {name} has no description"


def test_root_outputs_api_url_from_the_api_module() -> None:
    outputs = dict(blocks(ROOT, "output"))
    assert outputs["api_url"]["value"] == "${module.api_gateway.api_endpoint}"


def test_modules_expose_the_outputs_of_the_contract() -> None:
    contract = {
        "dynamodb": {
            "links_table_arn",
            "links_table_name",
            "clicks_table_arn",
            "clicks_table_name",
        },
        "sqs": {"queue_arn", "queue_url", "dlq_arn", "dlq_url", "dlq_name"},
    }
    for module, names in contract.items():
        declared = {name for name, _ in blocks(ROOT / "modules" / module, "output")}
        assert names <= declared, (module, names - declared)


def test_checkov_skips_are_justified() -> None:
    """Every `#checkov:skip=` names a check and gives a reason of some substance."""
    skip = re.compile(r"#checkov:skip=(\S*)")
    justified = re.compile(r"#checkov:skip=CKV2?_AWS_\d+:\S.{30,}")
    for path in TF_FILES:
        for line in path.read_text(encoding="utf-8").splitlines():
            if skip.search(line):
                assert justified.search(line), f"{path}: {line.strip()}"


# --- functions and IAM ---------------------------------------------------------------------


def test_every_function_comes_from_one_artifact_with_its_contract_handler() -> None:
    mods = modules()
    for function in EXPECTED_GRANTS:
        body = mods[function]
        assert body["source"] == "./modules/lambda"
        assert resolve(ROOT, body["handler"]) == f"linkpulse.aws_lambda.{function}.handler"
        assert body["artifact_path"] == "${var.artifact_path}"
    assert variables(ROOT)["artifact_path"]["default"] == "../../dist/linkpulse-lambda.zip"
    assert variables(ROOT)["lambda_runtime"]["default"] == "python3.12"


@pytest.mark.parametrize("function", sorted(EXPECTED_GRANTS))
def test_role_grants_exactly_what_the_code_calls(function: str) -> None:
    statements = modules()[function]["policy_statements"]
    granted = {
        (action, resource)
        for statement in statements.values()
        for action in statement["actions"]
        for resource in statement["resources"]
    }
    assert granted == EXPECTED_GRANTS[function]


def test_esm_grants_sit_under_the_event_source_mapping_key() -> None:
    statement = modules()["analytics"]["policy_statements"]["event_source_mapping"]
    assert set(statement["actions"]) == {
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
    }


def test_policy_statements_have_no_wildcards() -> None:
    for function in EXPECTED_GRANTS:
        for key, statement in modules()[function]["policy_statements"].items():
            for action in statement["actions"]:
                assert "*" not in action, (function, key, action)
            for resource in statement["resources"]:
                assert "*" not in resource, (function, key, resource)


def test_lambda_module_refuses_wildcards_and_scopes_logs_to_its_own_group() -> None:
    lam = ROOT / "modules" / "lambda"
    validation = single(variables(lam)["policy_statements"]["validation"])
    assert 'strcontains(action, "*")' in validation["condition"]
    policy = resources(lam, "aws_iam_policy_document", kind="data")["this"]
    document = single(policy["statement"])
    assert set(document["actions"]) == {"logs:CreateLogStream", "logs:PutLogEvents"}
    assert document["resources"] == ["${aws_cloudwatch_log_group.this.arn}:log-stream:*"]


def test_functions_trace_and_encrypt_their_environment() -> None:
    function = resources(ROOT / "modules" / "lambda", "aws_lambda_function")["this"]
    assert single(function["tracing_config"])["mode"] == "${var.tracing_mode}"
    assert variables(ROOT)["lambda_tracing_mode"]["default"] == "PassThrough"  # opt-in
    tracing = resources(ROOT / "modules" / "lambda", "aws_iam_role_policy_attachment")["tracing"]
    assert tracing["count"] == '${var.tracing_mode == "Active" ? 1 : 0}'
    logging = single(function["logging_config"])
    assert logging["log_format"] == "${var.log_format}"
    assert variables(ROOT)["lambda_log_format"]["default"] == "JSON"
    assert variables(ROOT)["lambda_system_log_level"]["default"] == "WARN"
    assert function["kms_key_arn"] == "${var.kms_key_arn}"
    assert function["source_code_hash"] == "${filebase64sha256(var.artifact_path)}"


# --- logs ------------------------------------------------------------------------------------


def test_every_log_group_has_a_retention() -> None:
    groups = 0
    for directory in MODULE_DIRS:
        for name, group in resources(directory, "aws_cloudwatch_log_group").items():
            groups += 1
            retention = resolve(directory, group["retention_in_days"])
            assert isinstance(retention, int), (directory, name)
            assert retention > 0, (directory, name)
    assert groups == 2  # one per function (lambda module), one for API access logs
    assert variables(ROOT)["cloudwatch_logs_retention_in_days"]["default"] > 0


# --- queue -------------------------------------------------------------------------------------


def test_redrive_after_five_receives_by_default() -> None:
    """AWS recommends at least 5 for Lambda triggers: throttling must not dead-letter
    good clicks."""
    sqs = ROOT / "modules" / "sqs"
    queue = resources(sqs, "aws_sqs_queue")["this"]
    assert "deadLetterTargetArn = aws_sqs_queue.dlq.arn" in queue["redrive_policy"]
    assert "maxReceiveCount = var.dlq_max_receive_count" in queue["redrive_policy"]
    assert variables(sqs)["dlq_max_receive_count"]["default"] == 5
    assert modules()["sqs"]["dlq_max_receive_count"] == "${var.dlq_max_receive_count}"
    assert variables(ROOT)["dlq_max_receive_count"]["default"] == 5


def test_dlq_keeps_messages_14_days() -> None:
    sqs = ROOT / "modules" / "sqs"
    dlq = resources(sqs, "aws_sqs_queue")["dlq"]
    assert resolve(sqs, dlq["message_retention_seconds"]) == 1_209_600
    assert variables(ROOT)["dlq_message_retention_seconds"]["default"] == 1_209_600


def test_visibility_timeout_covers_six_consumer_timeouts_and_the_window() -> None:
    """The default satisfies it, and a precondition refuses any setting that does not."""
    root = variables(ROOT)
    assert root["queue_visibility_timeout_seconds"]["default"] >= (
        6 * root["analytics_timeout"]["default"]
        + root["analytics_batching_window_seconds"]["default"]
    )
    call = modules()["sqs"]
    assert call["visibility_timeout_seconds"] == "${var.queue_visibility_timeout_seconds}"
    assert call["consumer_timeout_seconds"] == "${var.analytics_timeout}"
    assert call["consumer_batching_window"] == "${var.analytics_batching_window_seconds}"
    assert modules()["analytics"]["timeout"] == "${local.functions.analytics.timeout}"
    assert local_value(modules()["analytics"]["timeout"]) == "${var.analytics_timeout}"
    queue = resources(ROOT / "modules" / "sqs", "aws_sqs_queue")["this"]
    conditions = [p["condition"] for p in single(queue["lifecycle"])["precondition"]]
    assert ("${var.visibility_timeout_seconds >= 6 * var.consumer_timeout_seconds + "
            "var.consumer_batching_window}") in conditions


def test_queues_long_poll_and_are_encrypted() -> None:
    sqs = ROOT / "modules" / "sqs"
    assert modules()["sqs"]["receive_wait_time_seconds"] == 20
    for name, queue in resources(sqs, "aws_sqs_queue").items():
        assert queue["receive_wait_time_seconds"] == "${var.receive_wait_time_seconds}", name
        assert queue["sqs_managed_sse_enabled"] is True, name


def test_alarm_fires_when_the_dlq_holds_a_message() -> None:
    sqs = ROOT / "modules" / "sqs"
    alarm = resources(sqs, "aws_cloudwatch_metric_alarm")["dlq"]
    assert alarm["namespace"] == "AWS/SQS"
    assert alarm["metric_name"] == "ApproximateNumberOfMessagesVisible"
    assert alarm["dimensions"] == {"QueueName": "${aws_sqs_queue.dlq.name}"}
    assert alarm["comparison_operator"] == "GreaterThanThreshold"
    assert alarm["threshold"] == 0
    assert "var.dlq_alarm_sns_topic_arn" in alarm["alarm_actions"]
    assert variables(sqs)["dlq_alarm_sns_topic_arn"]["default"] is None
    assert modules()["sqs"]["dlq_alarm_sns_topic_arn"] == "${var.alarm_sns_topic_arn}"


def test_event_source_mapping_batches_a_window_and_reports_item_failures() -> None:
    esm = resources(ROOT, "aws_lambda_event_source_mapping")["analytics"]
    assert esm["event_source_arn"] == "${module.sqs.queue_arn}"
    assert esm["function_name"] == "${module.analytics.function_arn}"
    assert resolve(ROOT, esm["batch_size"]) == 1000
    assert resolve(ROOT, esm["maximum_batching_window_in_seconds"]) == 300
    # no concurrency cap by default: Lambda's low-traffic mode polls with 2 pollers, not 5
    assert variables(ROOT)["analytics_maximum_concurrency"]["default"] is None
    assert "scaling_config" not in esm
    assert esm["function_response_types"] == ["ReportBatchItemFailures"]


# --- tables ------------------------------------------------------------------------------------


def test_tables_match_the_contract() -> None:
    ddb = ROOT / "modules" / "dynamodb"
    tables = resources(ddb, "aws_dynamodb_table")
    links, clicks = tables["links"], tables["clicks"]
    assert links["hash_key"] == "code"
    assert (clicks["hash_key"], clicks["range_key"]) == ("pk", "sk")
    attributes = {a["name"]: a["type"] for a in clicks["attribute"]}
    assert attributes == {"pk": "S", "sk": "S"}
    assert "global_secondary_index" not in clicks  # no index rewritten on every count
    for table in (links, clicks):
        assert table["billing_mode"] == "PAY_PER_REQUEST"
        assert single(table["ttl"]) == {"attribute_name": "ttl", "enabled": True}
        # opt-in extras: PITR off, AWS-owned encryption unless a key is given
        assert resolve(ddb, single(table["point_in_time_recovery"])["enabled"]) is False
        encryption = single(table["dynamic"])["server_side_encryption"]
        assert "var.server_side_encryption_kms_key_arn == null ? []" in encryption["for_each"]
    assert variables(ddb)["links_table_name"]["default"] == "linkpulse-links"
    assert variables(ddb)["clicks_table_name"]["default"] == "linkpulse-clicks"


# --- HTTP API ------------------------------------------------------------------------------------


def test_api_routes_are_the_route_table() -> None:
    """API Gateway serves exactly the routes `linkpulse.routes` gives a Lambda function,
    each by that function, plus `$default` (unknown paths and wrong methods get the
    embedded server's JSON 404/405 from the redirect function, not API Gateway's own)."""
    from linkpulse.routes import routes

    call = modules()["api_gateway"]
    assert call["routes"] == "${local.routes}"
    declared = {r.key: r.function for r in routes() if r.function is not None}
    assert local_value("${local.routes}") == {**declared, "$default": "redirect"}
    assert call["functions"] == {
        name: {"function_name": f"${{module.{name}.function_name}}",
               "invoke_arn": f"${{module.{name}.invoke_arn}}"}
        for name in sorted(set(declared.values()))
    }


def test_one_integration_and_one_permission_per_function_not_per_route() -> None:
    api_dir = ROOT / "modules" / "api_gateway"
    assert resources(api_dir, "aws_apigatewayv2_integration")["this"]["for_each"] == (
        "${var.functions}")
    assert resources(api_dir, "aws_lambda_permission")["this"]["for_each"] == "${var.functions}"
    assert resources(api_dir, "aws_apigatewayv2_route")["this"]["for_each"] == "${var.routes}"


def test_api_gateway_answers_cors_as_the_embedded_server_does() -> None:
    """On AWS, API Gateway answers preflights from its CORS configuration and drops the
    functions' CORS headers: a page on another origin may send a key and PATCH or
    DELETE a link there exactly as against ``linkpulse serve``."""
    from linkpulse import api

    api_dir = ROOT / "modules" / "api_gateway"
    cors = single(resources(api_dir, "aws_apigatewayv2_api")["this"]["cors_configuration"])
    assert resolve(api_dir, cors["allow_methods"]) == api.CORS_METHODS
    assert resolve(api_dir, cors["allow_headers"]) == api.CORS_HEADERS
    assert resolve(api_dir, cors["max_age"]) == api.CORS_MAX_AGE


def test_api_is_http_v2_with_payload_format_2_and_cors() -> None:
    api_dir = ROOT / "modules" / "api_gateway"
    api = resources(api_dir, "aws_apigatewayv2_api")["this"]
    assert api["protocol_type"] == "HTTP"
    cors = single(api["cors_configuration"])
    assert resolve(api_dir, cors["allow_origins"]) == ["*"]
    assert {"GET", "POST"} <= set(resolve(api_dir, cors["allow_methods"]))
    integration = resources(api_dir, "aws_apigatewayv2_integration")["this"]
    assert integration["integration_type"] == "AWS_PROXY"
    assert integration["payload_format_version"] == "2.0"
    route = resources(api_dir, "aws_apigatewayv2_route")["this"]
    assert route["target"] == "integrations/${aws_apigatewayv2_integration.this[each.value].id}"


def test_default_stage_auto_deploys_with_access_logs() -> None:
    api_dir = ROOT / "modules" / "api_gateway"
    stage = resources(api_dir, "aws_apigatewayv2_stage")["this"]
    assert stage["name"] == "$default"
    assert stage["auto_deploy"] is True
    access = single(stage["access_log_settings"])
    assert access["destination_arn"] == "${aws_cloudwatch_log_group.access.arn}"
    assert "$context.requestId" in access["format"]


def test_routes_that_write_are_throttled_per_route_on_the_stage() -> None:
    """Every route the route table rate-limits (creation, link and key management) has
    its own throttling by default, tighter than the stage's; the stage turns the map
    into route_settings once the routes exist."""
    from linkpulse.routes import routes

    api_dir = ROOT / "modules" / "api_gateway"
    stage = resources(api_dir, "aws_apigatewayv2_stage")["this"]
    dynamic = single(stage["dynamic"])["route_settings"]
    assert dynamic["for_each"] == "${var.route_throttling}"
    assert single(dynamic["content"]) == {
        "route_key": "${route_settings.key}",
        "throttling_burst_limit": "${route_settings.value.burst_limit}",
        "throttling_rate_limit": "${route_settings.value.rate_limit}",
    }
    assert "${aws_apigatewayv2_route.this}" in stage["depends_on"]
    assert modules()["api_gateway"]["route_throttling"] == "${var.api_route_throttling}"
    throttled = variables(ROOT)["api_route_throttling"]["default"]
    limited = {r.key for r in routes() if r.limited and r.function is not None}
    assert set(throttled) == limited
    stage_rate = variables(ROOT)["api_throttling_rate_limit"]["default"]
    assert all(t["rate_limit"] < stage_rate for t in throttled.values())


def test_functions_count_writes_with_the_apps_default_limit() -> None:
    from linkpulse.settings import Settings

    assert _environment()["LINKPULSE_CREATE_RATE_LIMIT"] == Settings().create_rate_limit


def test_invoke_permissions_are_scoped_to_this_api() -> None:
    permission = resources(ROOT / "modules" / "api_gateway", "aws_lambda_permission")["this"]
    assert permission["principal"] == "apigateway.amazonaws.com"
    assert permission["action"] == "lambda:InvokeFunction"
    assert "aws_apigatewayv2_api.this.execution_arn" in permission["source_arn"]


# --- example ---------------------------------------------------------------------------------


def test_complete_example_uses_the_root_module() -> None:
    example = ROOT / "examples" / "complete"
    call = dict(blocks(example, "module"))["linkpulse"]
    assert call["source"] == "../../"
    assert (example / call["artifact_path"].replace("${path.module}", ".")).resolve() == (
        ROOT.parents[1] / "dist" / "linkpulse-lambda.zip"
    )
    assert set(call) - {"source"} == set(variables(ROOT)), "the example sets every input"
    assert "api_url" in dict(blocks(example, "output"))


# --- function environment -------------------------------------------------------------------


def _environment() -> dict[str, str]:
    """The functions' environment with variable defaults filled in and ARNs/URLs faked."""
    merged = local_value("${local.environment_variables}")
    match = re.fullmatch(r"\$\{merge\(\{(.*)\}, .*\)\}", merged, re.DOTALL)
    assert match, merged
    env: dict[str, str] = {}
    for key, raw in re.findall(r"(\w+) = ((?:\"[^\"]*\")|[^,]+)", match.group(1)):
        value = raw.strip().strip('"')
        var = re.fullmatch(r"(?:tostring\()?var\.(\w+)\)?", value)
        if var:
            value = str(variables(ROOT)[var.group(1)]["default"])
        elif value.startswith("module.") or value.startswith("local."):
            value = f"fake-{value}"
        elif value.startswith("join("):
            value = ",".join(variables(ROOT)["cors_allow_origins"]["default"])
        env[key] = value
    return env


def test_functions_get_the_contract_environment() -> None:
    env = _environment()
    assert env["LINKPULSE_BACKEND"] == "aws"
    assert env["POWERTOOLS_SERVICE_NAME"] == "linkpulse"
    assert {
        "LINKPULSE_LINKS_TABLE",
        "LINKPULSE_CLICKS_TABLE",
        "LINKPULSE_QUEUE_URL",
        "LINKPULSE_CLICK_RETENTION_DAYS",
        "POWERTOOLS_LOG_LEVEL",
    } <= set(env)


def test_function_environment_is_valid_linkpulse_settings() -> None:
    """Every LINKPULSE_* variable names a Settings field (unknown ones would be ignored
    silently), and with the Terraform defaults Settings.from_env accepts them."""
    from dataclasses import fields

    from linkpulse.settings import ENV_PREFIX, Settings

    env = _environment()
    known = {ENV_PREFIX + f.name.upper() for f in fields(Settings)}
    assert {k for k in env if k.startswith(ENV_PREFIX)} <= known
    settings = Settings.from_env(env)
    assert settings.backend == "aws"
    assert settings.max_receive_count == 5
    assert settings.dlq_retention_seconds == 1_209_600
