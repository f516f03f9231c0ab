"""Control endpoints under ``/_emulator/`` (no auth, not recorded).

``GET  /_emulator/health``       ``{"status": "ok"}``
``GET  /_emulator/stats``        counts per "METHOD path", total, runs_created, requests
``POST /_emulator/reset-stats``  forget recorded requests and runs_created
``POST /_emulator/faults``       add faults (JSON list, or one object)
``DELETE /_emulator/faults``     remove all faults
``POST /_emulator/runs``         add runs (JSON list, same schema as the scenario)
"""

import json

from .api import Response, error
from .scenario import ScenarioError


def handle(emu, req):
    route = (req.method, req.path.rstrip("/"))
    try:
        if route == ("GET", "/_emulator/health"):
            return Response(200, {"status": "ok", "url": emu.url})
        if route == ("GET", "/_emulator/stats"):
            return Response(200, emu.stats())
        if route == ("POST", "/_emulator/reset-stats"):
            emu.reset_stats()
            return Response(200, {"status": "ok"})
        if route == ("POST", "/_emulator/faults"):
            return Response(201, {"added": emu.add_faults(_json(req))})
        if route == ("DELETE", "/_emulator/faults"):
            emu.clear_faults()
            return Response(200, {"status": "ok"})
        if route == ("POST", "/_emulator/runs"):
            return Response(201, {"added": emu.add_runs(_json(req))})
    except (ScenarioError, ValueError, KeyError, TypeError) as exc:
        return error(422, "parameter_invalid", str(exc))
    return error(404, "route_not_found", "No control endpoint %s %s." % route)


def _json(req):
    data = json.loads(req.body or b"null")
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise ValueError("expected a JSON list")
    return data
