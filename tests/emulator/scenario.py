"""Loading and checking scenario files (YAML or JSON, chosen by extension).

See the package docstring for the schema.  Unknown keys are rejected so that
typos in scenario files fail loudly instead of silently doing nothing.
"""

import copy
import json
import os

import yaml

from .model import RUN_KEYS, TEMPLATE_KEYS

TOP_KEYS = {"tokens", "per_page", "rate_limit_per_minute", "rate_limit_window", "rate_limit_headers", "runs",
            "workflows", "faults"}
DEFAULT_RATE_LIMIT = 60  # per token and minute, as the real API has it
BULK_KEYS = {"id_prefix", "count"}
FAULT_KEYS = {
    "method", "path", "path_regex", "times", "after", "kind", "status", "retry_after",
    "delay", "location", "size", "body", "headers", "process", "from_s", "for_s",
}
FAULT_KINDS = {
    "status", "html", "truncated", "not_json", "wrong_shape", "slow", "drip",
    "hang", "drop", "redirect", "big",
}
BULK_SPACING = 60  # seconds between the creation times of generated finished runs


class ScenarioError(ValueError):
    pass


def load_scenario(source):
    """Return a normalised scenario dict from a dict, a path, or None."""
    if source is None:
        data = {}
    elif isinstance(source, dict):
        data = copy.deepcopy(source)
    else:
        path = os.fspath(source)
        with open(path, encoding="utf-8") as fh:
            if path.endswith(".json"):
                data = json.load(fh)
            else:
                data = yaml.safe_load(fh) or {}
    if not isinstance(data, dict):
        raise ScenarioError("scenario must be a mapping")
    _check_keys(data, TOP_KEYS, "scenario")
    data.setdefault("tokens", ["test-token"])
    data["per_page"] = int(data.get("per_page") or 15)
    data["rate_limit_per_minute"] = _rate_limit(
        data.get("rate_limit_per_minute", DEFAULT_RATE_LIMIT))
    data["rate_limit_window"] = data.get("rate_limit_window", "fixed")
    if data["rate_limit_window"] not in ("fixed", "rolling"):
        raise ScenarioError("rate_limit_window must be fixed (Laravel's, the default) or rolling, got %r"
                            % (data["rate_limit_window"],))
    data["rate_limit_headers"] = data.get("rate_limit_headers", True)
    if not isinstance(data["rate_limit_headers"], bool):
        raise ScenarioError("rate_limit_headers must be true or false, got %r" % (data["rate_limit_headers"],))
    data["runs"] = expand_runs(data.get("runs") or [])
    data["workflows"] = check_workflows(data.get("workflows") or [])
    data["faults"] = check_faults(data.get("faults") or [])
    return data


def _rate_limit(value):
    """The per-minute limit, or None (off) for null / 0."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ScenarioError("rate_limit_per_minute must be an integer >= 0 or null, got %r"
                            % (value,))
    return value or None


def _check_keys(obj, allowed, what):
    if not isinstance(obj, dict):
        raise ScenarioError("%s must be a mapping, got %r" % (what, obj))
    unknown = set(obj) - allowed
    if unknown:
        raise ScenarioError("unknown key(s) in %s: %s" % (what, ", ".join(sorted(unknown))))


def _check_template(tpl, what):
    _check_keys(tpl, TEMPLATE_KEYS, what)
    if int(tpl.get("steps", 1)) < 0:
        raise ScenarioError("%s: steps must be >= 0" % what)
    return dict(tpl)


def expand_runs(specs):
    """Validate run specs and expand ``id_prefix``/``count`` bulk entries.

    Generated ids are ``<id_prefix><index:03d>`` (index from 0).  Generated runs
    declared ``finished`` are created ``BULK_SPACING`` s apart, highest index
    newest, so listings have a deterministic order.
    """
    out = []
    for spec in specs:
        if not isinstance(spec, dict):
            raise ScenarioError("run spec must be a mapping, got %r" % (spec,))
        if "id_prefix" in spec:
            _check_keys(spec, (RUN_KEYS | BULK_KEYS) - {"id"}, "bulk run spec")
            count = int(spec.get("count", 1))
            base = {k: v for k, v in spec.items() if k not in BULK_KEYS}
            for i in range(count):
                one = copy.deepcopy(base)
                one["id"] = "%s%03d" % (spec["id_prefix"], i)
                if one.get("finished") or one.get("age") is not None:
                    base_age = one.get("age")
                    base_age = 3600.0 if base_age is None else float(base_age)
                    one["age"] = base_age + (count - 1 - i) * BULK_SPACING
                out.append(_check_run(one))
        else:
            out.append(_check_run(spec))
    return out


def _check_run(spec):
    _check_keys(spec, RUN_KEYS, "run %s" % spec.get("id"))
    if not spec.get("id") or not spec.get("workflow_id"):
        raise ScenarioError("run spec needs id and workflow_id: %r" % (spec,))
    if spec.get("rerun_template") is not None:
        _check_template(spec["rerun_template"], "rerun_template of %s" % spec["id"])
    _check_template({k: v for k, v in spec.items() if k in TEMPLATE_KEYS}, spec["id"])
    return dict(spec)


def check_workflows(specs):
    out = []
    for spec in specs:
        _check_keys(spec, {"id", "run_template"}, "workflow")
        if not spec.get("id"):
            raise ScenarioError("workflow needs an id: %r" % (spec,))
        tpl = spec.get("run_template")
        if tpl is not None:
            tpl = _check_template(tpl, "run_template of %s" % spec["id"])
        out.append({"id": spec["id"], "run_template": tpl})
    return out


def check_faults(specs):
    if isinstance(specs, dict):
        specs = [specs]
    out = []
    for spec in specs:
        _check_keys(spec, FAULT_KEYS, "fault")
        kind = spec.get("kind", "status")
        if kind not in FAULT_KINDS:
            raise ScenarioError("unknown fault kind %r" % kind)
        if "path" in spec and "path_regex" in spec:
            raise ScenarioError("fault: give path or path_regex, not both")
        for key in ("from_s", "for_s"):  # null = absent: from the start / until removed
            value = spec.get(key)
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if value is not None and not (number and value >= 0):
                raise ScenarioError("fault: %s must be a number >= 0, got %r" % (key, value))
        out.append(dict(spec, kind=kind))
    return out


def creation_time(spec, now):
    """Creation time of a declared run added at ``now``."""
    total = float(spec.get("pending_for", 0.2)) + float(spec.get("duration", 2.0))
    age = spec.get("age")
    if age is not None:
        age = float(age)
        if spec.get("finished"):
            age = max(age, total + 1)
        return now - age
    if spec.get("finished"):
        return now - (3600 + total)
    return now
