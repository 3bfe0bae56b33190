"""Deletes, undeletes and merges made in the org, applied to the website's records.

- An org delete wins over website changes Salesforce already has, never silently over one still on its way: a
  record with an open upstream change is kept, and its push is refused ENTITY_IS_DELETED, an error whose fix asks a
  person to restore the record in Salesforce or delete it here (outbox.py settles either way).
- Children the website unlinks when a parent goes (a foreign key that is set to null) get a downstream event each,
  and are remembered on the parent's delete event: when the org undeletes the parent, they are linked to it again,
  unless they were linked elsewhere meanwhile (Salesforce too restores only relationships nobody replaced).
- A merge (the loser's row names the winner in MasterRecordId) moves every website child of the loser to the winner,
  each with a downstream event, before the loser goes. A Change Data Capture DELETE does not say whether it was a
  merge, so such a row of an object Salesforce merges is read again by a poll (the applier's `unread`).
"""

from __future__ import annotations

from django.db import models, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from .models import ChangeEvent
from .recording import jsonable
from .registry import MASTER_RECORD_FIELD, registry

Status = ChangeEvent.Status
UNLINKED = "unlinked"  # a delete event's memory: {child label: {attname: [child pks]}}


def child_links(model) -> list[tuple[type[models.Model], models.ForeignKey]]:
    """(child model, foreign key) of every synced model that points at `model`."""
    return [
        (rel.related_model, rel.field)
        for rel in model._meta.related_objects
        if rel.one_to_many and registry.is_registered(rel.related_model)
    ]


class OrgDeletes:
    """The deleted rows of one apply: what goes, what stays, what moves; events go to the applier's list."""

    def __init__(self, applier):
        self.applier = applier
        self.org, self.mapping, self.model = applier.org, applier.mapping, applier.model

    # --- deletes and merges -------------------------------------------------------------------------------------
    def apply(self, rows: list[dict]) -> None:
        by_id = {row["Id"]: row for row in rows}
        found = {
            sfid: (pk, scid)
            for pk, scid, sfid in self.model._default_manager.filter(
                org=self.org, salesforce_id__in=list(by_id)
            ).values_list("pk", "scid", "salesforce_id")
        }
        if not found:
            return
        unsent = self._with_unsent_changes([pk for pk, _ in found.values()])
        winners = self._winners([by_id[sfid] for sfid in found])
        doomed: dict[int, tuple[dict, dict]] = {}  # pk -> (row, what its delete event remembers)
        for sfid, (pk, _) in found.items():
            row = by_id[sfid]
            if pk in unsent:  # the website changed it and the change is not in Salesforce: a person decides
                self.applier.summary.skipped += 1
            elif self.mapping.mergeable and MASTER_RECORD_FIELD not in row:
                self.applier.unread.append(sfid)  # a change event's DELETE: read the row to learn if it was a merge
            elif row.get(MASTER_RECORD_FIELD):
                winner = winners.get(row[MASTER_RECORD_FIELD])
                if winner is None:
                    reason = f"{self.mapping.sobject} {row[MASTER_RECORD_FIELD]}, its merge winner, is not here yet"
                    self.applier._keep_waiting(row, reason)
                    continue
                moved = self._move_children(pk, winner)
                doomed[pk] = (row, {MASTER_RECORD_FIELD: row[MASTER_RECORD_FIELD], "moved": moved})
            else:
                doomed[pk] = (row, {})
        self._delete(doomed)

    def _with_unsent_changes(self, pks: list[int]) -> set[int]:
        """Records with a change of their values not yet in Salesforce (what the website assigns itself, its SCID
        and keys, is not such a change: it goes with the record)."""
        own = {"scid", *self.mapping.website_owned}
        return {pk for pk, fields in self.applier._pending_upstream_fields(pks).items() if fields - own}

    def _winners(self, rows: list[dict]) -> dict[str, int]:
        masters = {row[MASTER_RECORD_FIELD] for row in rows if row.get(MASTER_RECORD_FIELD)}
        if not masters:
            return {}
        objects = self.model._default_manager.filter(org=self.org, salesforce_id__in=masters)
        return dict(objects.values_list("salesforce_id", "pk"))

    def _move_children(self, loser: int, winner: int) -> dict:
        """Every website child of the loser points at the winner, each with a downstream event; returns what moved."""
        moved: dict[str, dict[str, list[int]]] = {}
        for child, fk in child_links(self.model):
            pks = list(child._default_manager.filter(**{fk.attname: loser}).values_list("pk", flat=True))
            if pks:
                child._default_manager.filter(pk__in=pks).update(**{fk.attname: winner})
                self._child_events(child, fk.attname, pks, winner)
                moved.setdefault(child._meta.label_lower, {})[fk.attname] = pks
        return moved

    def _delete(self, doomed: dict[int, tuple[dict, dict]]) -> None:
        if not doomed:
            return
        unlinked = self._unlinked(list(doomed))
        stores = self.mapping.store_ids(list(doomed))
        try:
            with transaction.atomic():
                self.model._default_manager.filter(pk__in=list(doomed)).delete()
            gone = list(doomed)
        except ProtectedError:
            gone = [pk for pk in doomed if self._delete_alone(pk, doomed[pk][0])]
        for pk in gone:
            row, memory = doomed[pk]
            if unlinked.get(pk):
                memory = memory | {UNLINKED: unlinked[pk]}
                for label, fields in unlinked[pk].items():
                    for attname, pks in fields.items():
                        self._child_events(registry.for_label(label).model, attname, pks, None)
            event = self.applier._event(pk, row.get(self.mapping.external_id), row["Id"], "delete", Status.SYNCED)
            event.changed_fields, event.store_id = memory, stores.get(pk)
            self.applier.events.append(event)
            self.applier.changes.deleted.append(pk)
        self.applier.summary.deleted += len(gone)

    def _delete_alone(self, pk: int, row: dict) -> bool:
        """Delete one record; one the website's own records protect (an account with orders) is an error."""
        try:
            with transaction.atomic():
                self.model._default_manager.filter(pk=pk).delete()
            return True
        except ProtectedError as exc:
            names = sorted({str(obj._meta.verbose_name_plural) for obj in exc.protected_objects})
            message = f"deleted in Salesforce, but the website's {', '.join(names)} still point at it"
            self.applier._cannot_apply(row, "CANNOT_APPLY_DOWNSTREAM", message, None)
            return False

    def _unlinked(self, pks: list[int]) -> dict[int, dict[str, dict[str, list[int]]]]:
        """For each parent about to go: its children whose link the delete will clear (set to null)."""
        memory: dict[int, dict[str, dict[str, list[int]]]] = {}
        for child, fk in child_links(self.model):
            if fk.remote_field.on_delete is not models.SET_NULL:
                continue
            for child_pk, parent_pk in child._default_manager.filter(**{f"{fk.attname}__in": pks}).values_list(
                "pk", fk.attname
            ):
                by_field = memory.setdefault(parent_pk, {}).setdefault(child._meta.label_lower, {})
                by_field.setdefault(fk.attname, []).append(child_pk)
        return memory

    # --- undeletes ----------------------------------------------------------------------------------------------
    def relink(self, restored: list) -> None:
        """Records created from rows of records the org had deleted (an undelete): their children unlinked by that
        delete point at them again, where nothing else took their place."""
        by_sfid = {record.salesforce_id: record.pk for record in restored}
        deletes = (
            ChangeEvent.objects.downstream()
            .filter(org=self.org, sobject=self.mapping.sobject, event_type="delete", salesforce_id__in=list(by_sfid))
            .order_by("id")
            .values_list("salesforce_id", "changed_fields")
        )
        memories = {sfid: (changed or {}).get(UNLINKED) for sfid, changed in deletes}  # the latest delete wins
        for sfid, memory in memories.items():
            for label, fields in (memory or {}).items():
                child = registry.for_label(label).model
                for attname, pks in fields.items():
                    free = list(
                        child._default_manager.filter(pk__in=pks, **{attname: None}).values_list("pk", flat=True)
                    )
                    child._default_manager.filter(pk__in=free).update(**{attname: by_sfid[sfid]})
                    self._child_events(child, attname, free, by_sfid[sfid])

    # --- events -------------------------------------------------------------------------------------------------
    def _child_events(self, child, attname: str, pks: list[int], value) -> None:
        """A downstream event for each child whose link this apply changed (what the org's change did here)."""
        if not pks:
            return
        mapping = registry.for_model(child)
        stores = mapping.store_ids(pks)
        now = timezone.now()
        for pk, scid, sfid in child._default_manager.filter(pk__in=pks).values_list("pk", "scid", "salesforce_id"):
            self.applier.events.append(
                ChangeEvent(
                    org=self.org,
                    store_id=stores.get(pk),
                    direction=ChangeEvent.Direction.DOWNSTREAM,
                    sobject=mapping.sobject,
                    model_label=mapping.label,
                    object_pk=pk,
                    event_type=ChangeEvent.EventType.UPDATE,
                    changed_fields={attname: jsonable(value)},
                    scid=scid,
                    salesforce_id=sfid,
                    status=Status.SYNCED,
                    processed_at=now,
                )
            )
