"""The "demo" seed: a few records and rules so `make run` has something to sync with and fail on."""


def seed_demo(control, seed: str = "demo") -> None:
    if seed != "demo":
        raise ValueError(f"unknown seed {seed!r}; the only seed is 'demo'")
    (account,) = control.create_records(
        "Account", [{"Name": "Salesforce-side Traders", "External_ID__c": "SF-DEMO-ACCOUNT-1"}]
    )
    control.create_records(
        "Contact",
        [
            {
                "FirstName": "Grace",
                "LastName": "Hopper",
                "Email": "grace@example.com",
                "AccountId": account,
                "External_ID__c": "SF-DEMO-CONTACT-1",
            },
        ],
    )
    (pricebook,) = control.create_records("Pricebook2", [{"Name": "Org Price Book", "IsActive": True}])
    (product,) = control.create_records(
        "Product2", [{"Name": "Org-made Lantern", "Family": "Hardware", "IsActive": True, "Visibility__c": "visible"}]
    )
    control.create_records(
        "PricebookEntry", [{"Pricebook2Id": pricebook, "Product2Id": product, "UnitPrice": 35.0, "IsActive": True}]
    )
    # Demo rules, so the console has real failures to show: the org refuses contacts named "Invalid" and
    # asks for a duplicate check on accounts with the same name.
    control.add_rule(
        {
            "name": "demo-invalid-contact",
            "type": "validation",
            "object": "Contact",
            "condition": "LastName = 'Invalid'",
            "message": "Last name 'Invalid' is not allowed (demo validation rule)",
            "field": "LastName",
        }
    )
    control.add_rule({"name": "demo-duplicate-account", "type": "duplicate", "object": "Account", "fields": ["Name"]})
