"""Fuzzing the API from its own OpenAPI document (schemathesis), as each role.

For every operation in ``/api/v1/openapi.json`` and every role — anonymous, citizen, bound
member, unit admin, bureau admin, each on a fresh database — schemathesis generates requests:
valid ones (positive) and invalid ones (negative), with generated path ids and with ids of
objects that exist. Every answer must be:

- no server error (5xx);
- a status the operation documents explicitly (not only through the catch-all "default");
- of the documented content type, and its body valid against the documented schema;
- for invalid input, a refusal (4xx) — never a success.

The app runs in-process (WSGI); WeChat is the test config's nowhere (127.0.0.1:9), never
the real one. Examples are derandomized, so a run is repeatable; RS_FUZZ_EXAMPLES scales
the number per operation (default 8 positive, 4 negative, each with generated and with real
ids; one of each for a file download) and RS_FUZZ_RANDOM=1 draws new examples each run. The
figures are printed in the run's summary.
"""
import os
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
)
from sqlalchemy import select

from conftest import USING_POSTGRES
from server.extensions import db
from server.hours.records import issue_record
from server.models import Case, Notification, QrCode, Shift

ROLES = ["anonymous", "citizen", "member", "unit_admin", "bureau_admin"]
EXAMPLES = int(os.environ.get("RS_FUZZ_EXAMPLES", "8"))
# RS_FUZZ_RANDOM=1 explores new examples each run (for a long hunt; CI repeats the same ones).
RANDOM = os.environ.get("RS_FUZZ_RANDOM") == "1"
MODES = {GenerationMode.POSITIVE: EXAMPLES, GenerationMode.NEGATIVE: max(EXAMPLES // 2, 1)}
CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]
HERE = {"lat": 30.75, "lng": 120.75, "accuracy_m": 10}


@pytest.fixture
def seeded(app, client, world, codes):
    """Objects for every kind of path id: a bad rating with its case and notification, a shift, an
    hours record; and each role's Authorization header.

    The flood limits are lifted: past them every example would be the same 429 (test_ratings.py
    and test_auth.py test the limits themselves).
    """
    for name in ("LOGIN_RATE_LIMIT", "BIND_RATE_LIMIT", "RATING_RATE_LIMIT_RATER", "RATING_RATE_LIMIT_IP",
                 "RATING_ATTEMPT_LIMIT_IP"):
        app.config[name] = "100000 per minute"
    rated = client.post("/api/v1/ratings", headers=world.citizen_headers,
                        json={"token": codes["window"], "score": 1, "tags": ["推诿"], "comment": "态度差"})
    assert rated.status_code == 201, rated.json
    shift = client.post("/api/v1/shifts/check-in", headers=world.member_headers,
                        json={"token": codes["post"], **HERE, "client_id": "fuzz-1"})
    assert shift.status_code == 201, shift.json
    assert client.post(f"/api/v1/shifts/{shift.json['id']}/check-out", headers=world.member_headers,
                       json=HERE).status_code == 200
    record, _ = issue_record(world.a.member, world.bureau)
    db.session.commit()
    ids = {
        "object_id": world.a.unit.id, "member_id": world.a.member.id, "post_id": world.a.post.id,
        "code_id": db.session.scalar(select(QrCode.id).where(QrCode.token == codes["badge"])), "rating_id": rated.json["id"], "case_id": db.session.scalar(select(Case.id)),
        "notification_id": db.session.scalar(select(Notification.id)), "shift_id": db.session.scalar(select(Shift.id)),
        "record_id": record.id, "token": codes["badge"],
    }
    headers = {
        "anonymous": {}, "citizen": world.citizen_headers, "member": world.member_headers,
        "unit_admin": world.a_headers, "bureau_admin": world.bureau_headers,
    }
    return ids, headers


def documented_status(case, response):
    """The status is one the operation lists itself, not only the catch-all "default"."""
    documented = set(case.operation.definition.raw.get("responses", {})) - {"default"}
    assert str(response.status_code) in documented, (
        f"{case.operation.label} answered {response.status_code}, documented: {sorted(documented)}\n"
        f"{response.text[:300] if hasattr(response, 'text') else ''}")


def fuzz_operation(operation, mode, examples, headers, path_parameters, tally):
    """Run ``examples`` generated cases of one operation; returns a failure description or None."""
    checks = CHECKS + ([negative_data_rejection] if mode is GenerationMode.NEGATIVE else [])

    @settings(max_examples=examples, deadline=None, database=None, derandomize=not RANDOM, report_multiple_bugs=False,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters or None))
    def run(case):
        tally["requests"] += 1
        response = case.call(headers=headers)
        tally["statuses"][response.status_code] = tally["statuses"].get(response.status_code, 0) + 1
        try:
            case.validate_response(response, checks=checks)
            documented_status(case, response)
        except BaseException:
            tally["last_failing"] = case.as_curl_command(headers=headers)
            raise

    try:
        run()
    except Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            return f"{operation.label}: schemathesis could not generate one valid request"
        tally["no_invalid_input"] += 1  # nothing to make invalid: no parameters, or free text only
    except (Exception, BaseExceptionGroup) as error:  # schemathesis' FailureGroup is a BaseExceptionGroup
        return f"{operation.label} [{mode.value}, {'real' if path_parameters else 'generated'} ids]: " \
               f"{str(error)[:1500]}\n  reproduce: {tally.pop('last_failing', '?')}"
    return None


@pytest.mark.timeout(300)
@pytest.mark.parametrize("role", ROLES)
def test_fuzz_every_operation(role, app, seeded, figures):
    """Every operation, as ``role``: no 5xx, documented statuses, bodies matching their schemas."""
    ids, role_headers = seeded
    # The role's Authorization header is sent by the test, never generated or left out by schemathesis.
    config = schemathesis.Config.from_dict({"generation": {"with-security-parameters": False}})
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 50
    tally = {"requests": 0, "statuses": {}, "no_invalid_input": 0}
    failures = []
    no_real_id = set()
    started = time.monotonic()
    for operation in operations:
        names = [parameter.name for parameter in operation.path_parameters]
        real = {name: ids[name] for name in names if name in ids}
        no_real_id.update(set(names) - set(ids))
        # A file (PDF, PNG, ZIP, spreadsheet) takes seconds to render: one example of each kind.
        file_download = not any("json" in media for media in operation.definition.raw["responses"]
                                .get("200", {}).get("content", {"application/json": 0}))
        for mode, examples in MODES.items():
            examples = 1 if file_download else examples
            for path_parameters in ([{}, real] if real else [{}]):
                failure = fuzz_operation(operation, mode, examples, role_headers[role], path_parameters, tally)
                if failure:
                    failures.append(failure)
    elapsed = time.monotonic() - started
    statuses = ", ".join(f"{count}×{status}" for status, count in sorted(tally["statuses"].items()))
    figures(f"{role} on {'PostgreSQL' if USING_POSTGRES else 'SQLite'}: {len(operations)} operations, "
            f"{tally['requests']} requests in {elapsed:.0f} s ({statuses}); {len(failures)} failures")
    if no_real_id:
        figures(f"{role}: path parameters without a real id (generated values only): {sorted(no_real_id)}")
    assert not failures, "\n\n".join(failures)
