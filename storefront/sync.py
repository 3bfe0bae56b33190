"""Which Salesforce object and fields each website record syncs with (registered in StorefrontConfig.ready)."""

from changeevents.registry import ParentLink, ScheduleGroup, registry

from . import models


def register_sync_mappings() -> None:
    if registry.is_registered(models.Account):
        return
    registry.register(
        models.Account,
        "Account",
        {
            "name": "Name",
            "phone": "Phone",
            "website": "Website",
            "billing_street": "BillingStreet",
            "billing_city": "BillingCity",
            "billing_postal_code": "BillingPostalCode",
            "billing_state_code": "BillingStateCode",
            "billing_country_code": "BillingCountryCode",
        },
        mergeable=True,
    )
    registry.register(
        models.Contact,
        "Contact",
        {
            "first_name": "FirstName",
            "last_name": "LastName",
            "email": "Email",
            "phone": "Phone",
            "mailing_street": "MailingStreet",
            "mailing_city": "MailingCity",
            "mailing_postal_code": "MailingPostalCode",
            "mailing_state_code": "MailingStateCode",
            "mailing_country_code": "MailingCountryCode",
        },
        parents=(ParentLink("account", "AccountId", "Account"),),
        mergeable=True,
    )
    registry.register(
        models.Lead,
        "Lead",
        {
            "first_name": "FirstName",
            "last_name": "LastName",
            "company": "Company",
            "email": "Email",
            "status": "Status",
        },
        store_path="store",
        mergeable=True,
    )
    registry.register(
        models.Campaign,
        "Campaign",
        {
            "name": "Name",
            "status": "Status",
            "type": "Type",
            "start_date": "StartDate",
            "end_date": "EndDate",
            "is_active": "IsActive",
        },
    )
    registry.register(
        models.CampaignMember,
        "CampaignMember",
        {"status": "Status"},
        parents=(
            ParentLink("campaign", "CampaignId", "Campaign"),
            ParentLink("contact", "ContactId", "Contact"),
            ParentLink("lead", "LeadId", "Lead"),
        ),
        store_path="lead__store",
    )
    registry.register(
        models.ProductCategory,
        "Product_Category__c",
        {"name": "Name", "description": "Description__c"},
        parents=(ParentLink("parent", "Parent_Category__c", "Product_Category__c"),),
    )
    registry.register(
        models.Product,
        "Product2",
        {
            "name": "Name",
            "product_code": "ProductCode",
            "family": "Family",
            "is_active": "IsActive",
            "description": "Description",
            "visibility": "Visibility__c",
            "stock_level": "Stock_Level__c",
            "media_url": "Media_URL__c",
            "cdn_url": "CDN_URL__c",
        },
    )
    registry.register(
        models.ProductVariant,
        "Product_Variant__c",
        {"name": "Name", "sku": "SKU__c", "price": "Price__c", "option_values": "Option_Values__c"},
        parents=(ParentLink("product", "Product__c", "Product2"),),
    )
    registry.register(
        models.ProductOption,
        "SBQQ__ProductOption__c",
        {"number": "SBQQ__Number__c", "quantity": "SBQQ__Quantity__c"},
        parents=(
            ParentLink("configured_product", "SBQQ__ConfiguredSKU__c", "Product2"),
            ParentLink("optional_product", "SBQQ__OptionalSKU__c", "Product2"),
        ),
        schedule=ScheduleGroup.TEN_MINUTES,
    )
    registry.register(
        models.Pricebook, "Pricebook2", {"name": "Name", "is_active": "IsActive", "description": "Description"}
    )
    registry.register(
        models.PricebookEntry,
        "PricebookEntry",
        {
            "unit_price": "UnitPrice",
            "is_active": "IsActive",
            "currency": "CurrencyIsoCode",
            "composite_key": "Composite_Key__c",
        },
        parents=(
            ParentLink("pricebook", "Pricebook2Id", "Pricebook2"),
            ParentLink("product", "Product2Id", "Product2"),
        ),
        schedule=ScheduleGroup.TEN_MINUTES,
        website_owned=("composite_key",),
    )
    registry.register(
        models.Order,
        "Order",
        {"effective_date": "EffectiveDate", "status": "Status", "description": "Description"},
        parents=(
            ParentLink("account", "AccountId", "Account"),
            ParentLink("bill_to_contact", "BillToContactId", "Contact"),
            ParentLink("pricebook", "Pricebook2Id", "Pricebook2"),
        ),
        store_path="store",
        sends_store=True,
    )
    registry.register(
        models.OrderItem,
        "OrderItem",
        {
            "quantity": "Quantity",
            "unit_price": "UnitPrice",
            "line_number": "Line_Number__c",
            "composite_key": "Composite_Key__c",
        },
        parents=(
            ParentLink("order", "OrderId", "Order"),
            ParentLink("product", "Product2Id", "Product2"),
            ParentLink("pricebook_entry", "PricebookEntryId", "PricebookEntry"),
        ),
        store_path="order__store",
        website_owned=("composite_key",),
    )
    registry.register(
        models.Asset,
        "Asset",
        {"name": "Name", "status": "Status", "quantity": "Quantity", "usage_end_date": "UsageEndDate"},
        parents=(
            ParentLink("account", "AccountId", "Account"),
            ParentLink("contact", "ContactId", "Contact"),
            ParentLink("product", "Product2Id", "Product2"),
        ),
        store_path="store",
    )
    registry.register(
        models.Case,
        "Case",
        {"subject": "Subject", "description": "Description", "status": "Status", "origin": "Origin"},
        parents=(ParentLink("contact", "ContactId", "Contact"), ParentLink("account", "AccountId", "Account")),
        store_path="store",
    )
