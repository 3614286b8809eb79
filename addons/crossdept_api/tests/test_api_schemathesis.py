import gc
import logging
import tempfile
import time
from collections import Counter

import schemathesis
from hypothesis.configuration import set_hypothesis_home_dir
from schemathesis.engine import Status, events, from_schema

from odoo.tests import tagged

from odoo.addons.crossdept_api.controllers.main import PREFIX

from .common import CrossdeptApiCase

_logger = logging.getLogger(__name__)

# Bounds that keep the run within CI's time (about a minute on two shared cores):
# test cases per operation and phase, and calls per stateful scenario.
MAX_EXAMPLES = 15
MAX_STEPS = 6
SEED = 20261203


@tagged("post_install", "-at_install")
class TestApiSchemathesis(CrossdeptApiCase):
    """Schemathesis, pointed at the OpenAPI document this server serves, with the API
    key of a CrossDept user: every phase (examples, coverage, fuzzing, stateful through
    the document's links) and every check. Requests run inside this test's
    transaction, so what they create is rolled back; generation is derandomized and
    seeded, so a run is the same in CI as here."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow, _steps = cls._make_flow([{"name": "Analyse"}])

    def _config(self):
        return schemathesis.Config.from_dict(
            {
                "seed": SEED,
                # no state written to the checkout: no cache, no example database
                "cache": {"enabled": False},
                "workers": 1,
                "request-timeout": 60,
                # the test cursor's key, as self.opener sends it
                "headers": {"Cookie": f"test_request_key={self.canonical_tag}"},
                "generation": {
                    "max-examples": MAX_EXAMPLES,
                    "deterministic": True,
                    "database": "none",
                },
                "checks": {
                    "enabled": True,
                    # schema-valid data may still name a record that does not exist, a
                    # date outside the product's calendar, a ticket without a flow:
                    # the business refuses it with 422, as documented
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", 401, 403, 404, 409, 422]
                    },
                },
                "auth": {"openapi": {"apiKey": {"bearer": self.it_key}}},
                "phases": {"stateful": {"max-steps": MAX_STEPS}},
            }
        )

    def _run(self):
        """Run every phase; return the failures, errors and what was sent."""
        schema = schemathesis.openapi.from_url(
            f"{self.base_url()}{PREFIX}/openapi.yaml", config=self._config()
        )
        report = {
            "failures": [],
            "errors": [],
            "phases": {},
            "statuses": Counter(),
            "labels": set(),
            "seconds": {},
        }
        started = {}
        for event in from_schema(schema).execute():
            if isinstance(event, events.PhaseStarted):
                started[event.phase.name.value] = event.timestamp
            elif isinstance(event, events.PhaseFinished):
                phase = event.phase.name.value
                report["phases"][phase] = event.status
                report["seconds"][phase] = round(
                    event.timestamp - started.get(phase, event.timestamp)
                )
            elif isinstance(event, events.ScenarioFinished):
                report["labels"].add(event.recorder.label)
                for interaction in event.recorder.interactions.values():
                    if interaction.response is not None:
                        report["statuses"][interaction.response.status_code] += 1
                for checks in event.recorder.checks.values():
                    for check in checks:
                        if check.status == Status.FAILURE:
                            failure = check.failure_info.failure
                            report["failures"].append(
                                f"{event.phase.value} / {check.name}: {failure.title}\n"
                                f"{failure.message}\n{check.failure_info.code_sample}"
                            )
            elif isinstance(event, events.NonFatalError):
                report["errors"].append(f"{event.label}: {event.value!r}")
            elif isinstance(event, events.FatalError):
                report["errors"].append(repr(event.exception))
        return report

    def test_schemathesis_finds_nothing(self):
        # hypothesis keeps a character map cache in its home folder: not in the checkout
        home = tempfile.TemporaryDirectory(prefix="crossdept-hypothesis-")
        self.addCleanup(home.cleanup)
        set_hypothesis_home_dir(home.name)
        self.addCleanup(set_hypothesis_home_dir, None)
        tickets_before = self.env["crossdept.ticket"].search_count([])
        self.env.flush_all()
        # the generator allocates a lot: keep the garbage collector off the server's
        # long-lived objects (registry, caches), which it would walk again and again
        gc.freeze()
        self.addCleanup(gc.unfreeze)

        start = time.monotonic()
        report = self._run()
        elapsed = time.monotonic() - start
        requests = sum(report["statuses"].values())
        _logger.info(
            "schemathesis: %s requests in %.0f s (per phase: %s), statuses %s, scenarios %s",
            requests,
            elapsed,
            report["seconds"],
            dict(sorted(report["statuses"].items())),
            sorted(report["labels"]),
        )

        self.assertFalse(report["errors"], "\n\n".join(report["errors"]))
        unique = list(dict.fromkeys(report["failures"]))
        self.assertFalse(unique, f"{len(unique)} schemathesis failures:\n\n" + "\n\n".join(unique))
        # every phase ran, stateful included (it needs the document's links)
        self.assertEqual(
            report["phases"],
            dict.fromkeys(
                (
                    "probing",
                    "schema_analysis",
                    "auth_bootstrap",
                    "examples",
                    "coverage",
                    "fuzzing",
                    "stateful",
                ),
                Status.SUCCESS,
            ),
        )
        # it reached every operation (but the document it was loaded from) and the
        # stateful scenarios, created tickets and was refused without a 5xx
        self.assertLessEqual(
            {
                "Stateful tests",
                "POST /tickets",
                "GET /tickets",
                "GET /tickets/{ticket_id}",
                "POST /tickets/{ticket_id}/comments",
            },
            report["labels"],
        )
        self.assertFalse([status for status in report["statuses"] if status >= 500])
        for status in (200, 201, 400, 401, 404, 405):
            self.assertIn(status, report["statuses"])
        self.env.invalidate_all()
        self.assertGreater(self.env["crossdept.ticket"].search_count([]), tickets_before)
