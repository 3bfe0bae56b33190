"""What each Salesforce status code means for a store, and how to fix it (the console's info view).

Two codes are assigned by the engine, not by Salesforce, to changes held behind another failure:
INVALID_CHANGE_EVENT (an earlier change of the same record failed) and INVALID_FIELD when a parent failed.
Salesforce's own INVALID_FIELD means something else (a field name the org does not know), so the hint depends
on whether the error is held behind another one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StatusCode:
    code: str
    description: str
    resolution: tuple[str, ...]
    transient: bool = False
    held_relation: str = ""  # for codes the engine assigns: how the error relates to the one holding it


MISSING_PARENT_FIX = (
    "The parent record was deleted in Salesforce or never synced; re-sync or re-create the parent first, then "
    "re-sync this error."
)
FOREIGN_KEY_NOT_FOUND = "Foreign key external ID"


def _code(code, description, *steps, transient=False, held_relation=""):
    return StatusCode(code, description, tuple(steps), transient, held_relation)


CATALOGUE: dict[str, StatusCode] = {
    s.code: s
    for s in [
        _code(
            "CANNOT_EXECUTE_FLOW_TRIGGER",
            "A Flow in the org stopped the change.",
            "Read the message: it names the Flow and the step that failed.",
            "Fix the Flow (or the data it objects to), or deactivate it for now.",
            "Re-sync the error.",
        ),
        _code(
            "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY",
            "An Apex trigger or class raised an error while saving the record.",
            "Read the message for the trigger's name and the exception it raised.",
            "If it is a duplicate-lead check, switch the duplicate rule off, re-sync, then merge the records.",
            "Otherwise fix the trigger or the data, then re-sync.",
        ),
        _code(
            "CANNOT_REPARENT_RECORD",
            "The record's owner is an inactive user.",
            "Give the record (or the default owner setting) an active user as owner.",
            "Re-sync the error.",
        ),
        _code(
            "DUPLICATE_VALUE",
            "A field that must be unique already has this value on another record.",
            "Open the record the message names and change or clear the duplicate value there.",
            "Re-sync, then adjust the records as needed once the sync is through.",
        ),
        _code(
            "ENTITY_IS_DELETED",
            "The record was deleted in Salesforce while the website changed it: the website's change was not sent "
            "(nothing was written to the org) and the website keeps the record and its values.",
            "To keep it: restore the record from Salesforce's Recycle Bin. The next read brings it back and the "
            "website's change is sent by itself.",
            "To let it go: delete the record here (the website's delete settles this error).",
        ),
        _code(
            "DUPLICATES_DETECTED",
            "A duplicate rule in the org blocked the record.",
            "Fix any errors this one waits behind first.",
            "Use 'Re-sync allowing duplicates' (it sends the record with allowSave=true) or switch the rule off "
            "for a moment and re-sync.",
            "Merge the duplicate records in Salesforce afterwards.",
        ),
        _code(
            "EMAIL_ADDRESS_BOUNCED",
            "The contact's email address is marked as bounced.",
            "Find out why the address hard-bounced; correct it if it is no longer valid.",
            "Clear the bounced flag on the Contact in Salesforce.",
            "Re-sync the error.",
        ),
        _code(
            "EMAIL_TEMPLATE_MERGEFIELD_ERROR",
            "An email template uses a merge field that cannot be filled.",
            "Point the merge field at a field the record has, or clone the template, fix the clone and set the "
            "store to use it.",
            "Re-sync the error.",
        ),
        _code(
            "ENTITY_IS_LOCKED",
            "The record is locked (for example by an approval process or an activated order).",
            "If it is an activated order, contact support before changing it.",
            "Otherwise unlock or deactivate the record in Salesforce, then re-sync.",
        ),
        _code(
            "FAILED_ACTIVATION",
            "The record could not be activated.",
            "Read the message for what activation needs (an order needs products, for example).",
            "Fix that, then re-sync.",
        ),
        _code(
            "FIELD_CUSTOM_VALIDATION_EXCEPTION",
            "A validation rule in the org rejected the record.",
            "The message is the rule's own text: find the rule (Setup, a managed package or an Apex trigger).",
            "Fix the data or the rule (or switch the rule off for a moment).",
            "Re-sync the error.",
        ),
        _code(
            "FIELD_INTEGRITY_EXCEPTION",
            "A field value is not valid for the org, typically a state or country code.",
            "Check the state and country picklists in the org's settings and add the missing value.",
            "Or correct the address on the website, then re-sync.",
        ),
        _code(
            "INVALID_CHANGE_EVENT",
            "An earlier change of the same record failed, so this later change waits.",
            "Open the root error (linked below) and fix that one first.",
            "Re-syncing the root error also re-syncs this one.",
            held_relation="Held behind an earlier failed change of the same record.",
        ),
        _code(
            "INVALID_CROSS_REFERENCE_KEY",
            "The change points at a parent record (by its Salesforce Id) that the org does not have.",
            MISSING_PARENT_FIX,
            "The field named below is the lookup; the error's record on the website links to the parent.",
        ),
        _code(
            "INVALID_EMAIL_ADDRESS",
            "Salesforce could not save the record because of an invalid email address.",
            "Switch off for a moment any Flow or trigger that sends email, re-sync, then correct the address.",
        ),
        _code(
            "INVALID_FIELD",
            "A parent record failed to sync, so this record (which looks it up) waits.",
            "Open the root error (the parent's, linked below) and fix it first.",
            "Re-syncing the parent's error also re-syncs this one.",
            held_relation="Held behind its parent record's failed change.",
        ),
        _code(
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            "A picklist value is not one the org allows.",
            "Add the value in the message to the field's picklist values (or correct it on the website).",
            "Re-sync the error.",
        ),
        _code(
            "REQUIRED_FIELD_MISSING",
            "A field the org requires was empty; the store may not fill that field.",
            "Make the field not required, or give it a default value in Salesforce.",
            "Re-sync the error.",
        ),
        _code(
            "UNKNOWN_EXCEPTION",
            "Salesforce could not save the record because of a validation, process or job failure.",
            "Read the message (and the ErrorId, for Salesforce support).",
            "Fix or switch off the failing validation, process or Apex job, then re-sync.",
        ),
        _code(
            "UNABLE_TO_LOCK_ROW",
            "Another process held the record locked. SCSync retries this by itself a few times.",
            "Re-sync. If it fails again, find what keeps the record locked (a long batch job, a data load) and "
            "re-sync when it has finished.",
            transient=True,
        ),
        _code(
            "REQUEST_LIMIT_EXCEEDED",
            "The org used up its daily API requests. Sending pauses by itself; nothing is lost.",
            "Wait for the 24-hour window to free requests, or raise the org's API limit.",
            "Pending changes go out by themselves when sending resumes.",
            transient=True,
        ),
        _code(
            "INVALID_SESSION_ID",
            "The Salesforce session expired and could not be renewed.",
            "Check the org's credentials (the environment variables its prefix names) and the connected app.",
            "Re-sync once the connection works.",
            transient=True,
        ),
    ]
}

CATALOGUE["MEDIA_IMPORT_FAILED"] = StatusCode(
    "MEDIA_IMPORT_FAILED",
    "The product's media URL could not be imported; the product keeps its old CDN URL.",
    (
        "Read the message: it says whether the URL could not be fetched, was too large or was not an image.",
        "Correct the product's media URL (on the website or in Salesforce); saving it imports it again.",
        "Or re-sync the error to import the same URL again (when the host was down). It holds no other change "
        "of the product back, and a successful import resolves it.",
    ),
)
# Codes about the shape of a value rather than the record's meaning: the website holds what the org's field cannot.
for entry in (
    _code(
        "STRING_TOO_LONG",
        "A value is longer than the org's field holds (the message gives the field and its maximum length).",
        "Shorten the value on the website to the maximum length the message gives, or lengthen the field in the "
        "org if it is a custom one.",
        "Re-sync the error.",
    ),
    _code(
        "JSON_PARSER_ERROR",
        "Salesforce could not read a value the change sent for its field's type (the message names the field and "
        "the value). Salesforce refuses the whole call for it; SCSync then sends the others on their own, so only "
        "the changes with such a value report this code.",
        "Check the field named in the message has the type the mapping expects in the org (a changed field type "
        "causes this), or correct the website's value.",
        "Re-sync the errors.",
    ),
    _code(
        "INVALID_TYPE_ON_FIELD_IN_RECORD",
        "A value is not of the type the org's field takes (the message names the field and the value).",
        "Correct the value on the website, or the field's type in the org, then re-sync.",
    ),
):
    CATALOGUE[entry.code] = entry
CATALOGUE["CANNOT_APPLY_DOWNSTREAM"] = StatusCode(
    "CANNOT_APPLY_DOWNSTREAM",
    "A row from Salesforce could not be applied to the website (the message names the field).",
    ("Correct the value in Salesforce; the next poll applies it.",),
)

UNKNOWN = StatusCode(
    "UNKNOWN",
    "A status code this console does not know yet.",
    ("Read Salesforce's message and fields below; they say what the org objected to.", "Fix it, then re-sync."),
)

SALESFORCE_INVALID_FIELD = StatusCode(
    "INVALID_FIELD",
    "Salesforce does not know a field the change sent (the org's schema differs from the mapping).",
    (
        "Check the field named in the message exists in the org, is spelled the same, and is visible to the "
        "integration user (field-level security).",
        "Add or expose the field, or correct the mapping, then re-sync.",
    ),
)


MISSING_PARENT = StatusCode(
    "INVALID_FIELD",
    "The change points at a parent record (by its External_ID__c) that the org does not have.",
    (
        MISSING_PARENT_FIX,
        "The message names the parent's object and StoreConnect ID.",
    ),
)


def status_code_info(code: str, held: bool = False, message: str = "") -> StatusCode:
    """The catalogue entry for a code. INVALID_FIELD depends on whether the error is held behind another (a parent
    of the website failed) and on Salesforce's message (a parent the org does not have, or an unknown field)."""
    if code == "INVALID_FIELD" and not held:
        return MISSING_PARENT if FOREIGN_KEY_NOT_FOUND in (message or "") else SALESFORCE_INVALID_FIELD
    return CATALOGUE.get(code, UNKNOWN)
