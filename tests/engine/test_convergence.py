"""RELIABILITY scenario 14 as a hypothesis state machine, in-process against the emulated org over HTTPS.

Random website edits, creates and deletes; org edits to other fields (and to one field both sides edit); 5xx
answers, lost responses and row locks; dispatches and polls in any order. At the end, with the faults gone and
the queues drained, both sides hold the same contacts field by field, and every org edit to a field the website
never edits has survived (the lost update of issue 13, RELIABILITY scenario 17).
"""

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test

from changeevents.downstream import poll_org
from changeevents.models import ChangeEvent, SyncCursor
from changeevents.recording import recording_suppressed
from changeevents.registry import registry
from changeevents.upstream import dispatch_org
from changeevents.values import to_salesforce
from emulators.salesforce.errors import WriteError
from storefront.models import Account, Contact
from syncerrors.models import SyncError
from syncerrors.resync import resync_errors

pytestmark = pytest.mark.django_db

WEBSITE_ONLY = {"mailing_city": "MailingCity"}  # the org never edits these
ORG_ONLY = {"MailingPostalCode": "mailing_postal_code", "MailingStreet": "mailing_street"}  # the website never does
SHARED = {"phone": "Phone"}  # both sides edit: the conflict rule decides, the sides must still agree
values = st.text(alphabet="abcdefghij", min_size=1, max_size=6)
picks = st.integers(min_value=0, max_value=10_000)  # which record: drawn whatever the state, so steps replay


def pick(items: list, index: int):
    return items[index % len(items)] if items else None


def convergence_machine(sf_org):
    control = sf_org.emulator.control
    contact_fields = registry.for_model(Contact).fields

    class Convergence(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            control.reset()  # the emulator numbers Ids afresh: the last example's records go unrecorded
            with recording_suppressed():
                Contact.objects.all().delete()
                Account.objects.all().delete()
            SyncError.objects.all().delete()
            ChangeEvent.objects.all().delete()
            SyncCursor.objects.all().delete()
            self.account = Account.objects.create(org=sf_org, name="Shared Co")
            self.org_edits: dict[str, dict[str, str]] = {}  # scid -> org-only field -> the org's last value
            self.created = 0

        def _contacts(self):
            return list(Contact.objects.filter(org=sf_org).order_by("pk"))

        def _org_rows(self):
            return [r for r in control.records("Contact") if r.get("External_ID__c")]

        @rule()
        def website_creates(self):
            self.created += 1
            Contact.objects.create(org=sf_org, account=self.account, last_name=f"Contact {self.created}")

        @rule(index=picks, field=st.sampled_from(sorted({**WEBSITE_ONLY, **SHARED})), value=values)
        def website_edits(self, index, field, value):
            contact = pick(self._contacts(), index)
            if contact is not None:
                setattr(contact, field, value)
                contact.save()

        @rule(index=picks)
        def website_deletes(self, index):
            contact = pick(self._contacts(), index)
            if contact is not None:
                self.org_edits.pop(contact.scid, None)
                contact.delete()

        @rule(index=picks, field=st.sampled_from(sorted({*ORG_ONLY, *SHARED.values()})), value=values)
        def org_edits_a_field(self, index, field, value):
            row = pick(self._org_rows(), index)
            if row is None:
                return
            try:
                control.update_records("Contact", {row["Id"]: {field: value}})
            except WriteError:  # the row lock a fault left also refuses the person's own edit: it never happened
                return
            if field in ORG_ONLY and Contact.objects.filter(scid=row["External_ID__c"]).exists():
                self.org_edits.setdefault(row["External_ID__c"], {})[field] = value

        @rule(kind=st.sampled_from(["http_5xx", "response_lost", "row_lock"]))
        def a_fault_comes(self, kind):
            if kind == "row_lock":
                control.add_rule({"type": "row_lock", "object": "Contact", "next_writes": 1})
            else:
                control.inject_fault({"type": kind, "count": 1})

        @rule()
        def dispatch(self):
            dispatch_org(sf_org.pk)

        @rule()
        def poll(self):
            poll_org(sf_org.pk, sobjects=["Account", "Contact"])

        def teardown(self):
            control.clear_faults()
            control.clear_rules()
            # a record whose attempts the faults used up is a sync error: a person re-syncs it, and nothing is lost
            resync_errors(SyncError.objects.unresolved())
            for _ in range(4):  # drain both ways
                dispatch_org(sf_org.pk)
                poll_org(sf_org.pk, sobjects=["Account", "Contact"])
            assert not SyncError.objects.unresolved().exists(), list(SyncError.objects.values("status_code", "message"))
            rows = {r["External_ID__c"]: r for r in self._org_rows()}
            local = {c.scid: c for c in self._contacts()}
            assert set(rows) == set(local)
            for scid, contact in local.items():
                for model_field, salesforce_field in contact_fields.items():
                    assert to_salesforce(getattr(contact, model_field)) == rows[scid][salesforce_field], (
                        scid,
                        salesforce_field,
                    )
            for scid, edits in self.org_edits.items():
                for salesforce_field, value in edits.items():
                    assert rows[scid][salesforce_field] == value, (scid, salesforce_field, "the org's edit was lost")
                    assert getattr(local[scid], ORG_ONLY[salesforce_field]) == value

    return Convergence


def test_convergence_state_machine_both_sides_equal_and_org_edits_survive(sf_org, settings_retry_at_once):
    run_state_machine_as_test(
        convergence_machine(sf_org),
        settings=settings(
            max_examples=60,
            stateful_step_count=30,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )


@pytest.fixture
def settings_retry_at_once(settings):
    settings.SCSYNC_RETRY_BASE_SECONDS = 0
    settings.SCSYNC_RETRY_MAX_SECONDS = 0
    settings.SCSYNC_DOWNSTREAM_OVERLAP_SECONDS = 0
    return settings
