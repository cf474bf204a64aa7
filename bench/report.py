"""The results table printed at the end of a run."""

from __future__ import annotations

from typing import Any


def table(out: dict[str, Any]) -> str:
    def f(value: Any, fmt: str = "{:,.0f}") -> str:
        return "n/a" if value is None else fmt.format(value)

    def check(ok: bool | None) -> str:
        return "" if ok is None else ("met" if ok else "MISSED")

    rps = out.get("redirect_rps")
    rows = [
        (f"redirect req/s ({out.get('connections')} conns, {out.get('links', 0):,} links,"
         " reference mix)",
         f(rps),
         ">= 0.5x bare", check(out.get("redirect_vs_bare", 0) >= 0.5) if rps else ""),
        ("  bare ASGI 302 req/s on granian (Python ceiling)", f(out.get("bare_rps")), "", ""),
        ("  bare ASGI 302 req/s on uvicorn", f(out.get("bare_uvicorn_rps")), "", ""),
        ("  nginx return 302 req/s (machine ceiling)", f(out.get("nginx_rps")), "", ""),
        ("  redirect / bare", f(out.get("redirect_vs_bare"), "{:.2f}x"), "", ""),
        ("  redirect / nginx", f(out.get("redirect_vs_nginx"), "{:.2f}x"), ">= 0.35x",
         check(out["redirect_vs_nginx"] >= 0.35) if out.get("redirect_vs_nginx") else ""),
        ("  app without consumer: on granian / on uvicorn req/s",
         f"{f(out.get('app_granian_rps'))} / {f(out.get('app_uvicorn_rps'))}", "", ""),
        ("  granian / uvicorn", f(out.get("granian_vs_uvicorn"), "{:.2f}x"), "", ""),
        ("  HTTP worker CPU us/request: redirect / bare",
         f"{f(out.get('redirect_cpu_us_per_request'))} / "
         f"{f(out.get('bare_cpu_us_per_request'))}", "", ""),
        ("redirect p50 ms", f(out.get("redirect_p50_ms"), "{:.2f}"), "", ""),
        ("redirect p99 ms", f(out.get("redirect_p99_ms"), "{:.2f}"), "<= 10 ms",
         check(out["redirect_p99_ms"] <= 10) if "redirect_p99_ms" in out else ""),
        ("queue backlog right after the load", f(out.get("backlog_after_load")), "", ""),
        ("  clicks counted / redirects answered",
         f"{f(out.get('clicks_counted'))} / {f(out.get('redirects_answered'))}", "exact",
         check(out["clicks_exact"]) if "clicks_exact" in out else ""),
        ("  drained in s", f(out.get("backlog_drain_s"), "{:.1f}"), "", ""),
        (f"consumer clicks/s, {out.get('consumer_processes')} processes (exactly once)",
         f(out.get("consumer_clicks_per_s")), ">= 2x redirect",
         check(out["consumer_clicks_per_s"] >= 2 * rps)
         if rps and "consumer_clicks_per_s" in out else ""),
        ("  1 process", f(out.get("consumer_1p_clicks_per_s")), "", ""),
        (f"  extra: low-cardinality traffic, {out.get('consumer_processes')} processes",
         f(out.get(f"consumer_{out.get('consumer_processes')}p_low_clicks_per_s")), "", ""),
        ("freshness idle p50 / p99 ms",
         f"{f(out.get('freshness_p50_ms'))} / {f(out.get('freshness_p99_ms'))}", "p99 <= 1 s",
         check(out["freshness_p99_ms"] <= 1000) if "freshness_p99_ms" in out else ""),
        (f"freshness at a steady {f(out.get('steady_rps'))} req/s p50 / p99 ms",
         f"{f(out.get('freshness_steady_p50_ms'))} / "
         f"{f(out.get('freshness_steady_p99_ms'))}", "", ""),
        ("freshness under full load p50 / p99 ms",
         f"{f(out.get('freshness_load_p50_ms'))} / {f(out.get('freshness_load_p99_ms'))}", "",
         ""),
    ]
    by = out.get("stats_ms_by_clicks", {})
    for n, ms in by.items():
        rows.append((f"stats median ms at {int(n):,} clicks", f"{ms:.2f}", "", ""))
    if by:
        values = list(by.values())
        first, last = values[0], values[-1]
        rows[-1] = (*rows[-1][:2], "<= 2x smallest", check(last <= 2 * first))
    rows.append(("create req/s (POST /shorten)", f(out.get("create_rps")), "", ""))
    lam = out.get("lambda")
    if lam:
        rows += [("lambda artifact MB", f(lam["artifact_bytes"] / 1e6, "{:.1f}"), "", ""),
                 ("lambda import ms", f(lam["lambda_import_ms"]), "", ""),
                 ("lambda first invoke ms", f(lam["lambda_first_invoke_ms"]), "", "")]
    else:
        rows.append(("lambda cold start", out.get("lambda_skipped",
                                                  "skipped: AWS backend not available"), "", ""))
    width = max(len(r[0]) for r in rows)
    lines = [f"{'metric':<{width}}  {'value':>14}  {'target':<15} ",
             "-" * (width + 42)]
    lines += [f"{a:<{width}}  {b:>14}  {c:<15} {d}" for a, b, c, d in rows]
    lines.append(f"load generator: {out.get('load_generator')}, "
                 f"{out.get('workers')} HTTP worker(s), {out.get('connections')} connections")
    return "\n".join(lines)


