"""Admin for the website's records. Which rows, choices and filter values a user gets is the console site's one
rule (scsync_site.tenancy): staff see their stores' records and their orgs' shared ones."""

from django.contrib import admin

from . import models


class SyncedRecordAdmin(admin.ModelAdmin):
    """The ids SCSync and Salesforce assign are read-only; a row added in an inline joins its parent's org."""

    readonly_fields = ("scid", "salesforce_id", "created_at", "updated_at")
    search_fields = ("scid", "salesforce_id")

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            record = inline_form.instance
            if hasattr(record, "org_id") and record.org_id is None and inline_form.has_changed():
                record.org_id = form.instance.org_id
        super().save_formset(request, form, formset, change)


@admin.register(models.Account)
class AccountAdmin(SyncedRecordAdmin):
    list_display = ("name", "org", "scid", "salesforce_id", "billing_country_code", "updated_at")
    list_filter = ("org",)
    search_fields = ("name", "scid", "salesforce_id")
    list_select_related = ("org",)


@admin.register(models.Contact)
class ContactAdmin(SyncedRecordAdmin):
    list_display = ("last_name", "first_name", "email", "account", "scid", "salesforce_id", "updated_at")
    list_filter = ("org", "email_bounced")
    search_fields = ("last_name", "first_name", "email", "scid", "salesforce_id")
    list_select_related = ("account",)
    autocomplete_fields = ("account",)


@admin.register(models.Lead)
class LeadAdmin(SyncedRecordAdmin):
    list_display = ("last_name", "first_name", "company", "status", "store", "scid", "salesforce_id")
    list_filter = ("org", "store", "status")
    search_fields = ("last_name", "company", "email", "scid", "salesforce_id")
    list_select_related = ("store",)


class CampaignMemberInline(admin.TabularInline):
    model = models.CampaignMember
    extra = 0
    fields = ("contact", "lead", "status", "scid", "salesforce_id")
    readonly_fields = ("scid", "salesforce_id")
    autocomplete_fields = ("contact", "lead")


@admin.register(models.Campaign)
class CampaignAdmin(SyncedRecordAdmin):
    list_display = ("name", "status", "type", "is_active", "start_date", "scid", "salesforce_id")
    list_filter = ("org", "status", "is_active")
    search_fields = ("name", "scid", "salesforce_id")
    inlines = [CampaignMemberInline]


@admin.register(models.CampaignMember)
class CampaignMemberAdmin(SyncedRecordAdmin):
    list_display = ("campaign", "contact", "lead", "status", "scid", "salesforce_id")
    list_filter = ("org", "status")
    search_fields = ("campaign__name", "scid", "salesforce_id")
    list_select_related = ("campaign", "contact", "lead")
    autocomplete_fields = ("campaign", "contact", "lead")


@admin.register(models.ProductCategory)
class ProductCategoryAdmin(SyncedRecordAdmin):
    list_display = ("name", "parent", "tags", "scid", "salesforce_id")
    list_filter = ("org",)
    search_fields = ("name", "scid", "salesforce_id")
    list_select_related = ("parent",)


class ProductVariantInline(admin.TabularInline):
    model = models.ProductVariant
    extra = 0
    fields = ("name", "sku", "price", "option_values", "tags", "scid")
    readonly_fields = ("scid",)


@admin.register(models.Product)
class ProductAdmin(SyncedRecordAdmin):
    list_display = (
        "name",
        "product_code",
        "family",
        "visibility",
        "is_active",
        "stock_level",
        "scid",
        "salesforce_id",
    )
    list_filter = ("org", "family", "visibility", "is_active")
    search_fields = ("name", "product_code", "scid", "salesforce_id")
    readonly_fields = (*SyncedRecordAdmin.readonly_fields, "cdn_url")
    filter_horizontal = ("categories",)
    inlines = [ProductVariantInline]


@admin.register(models.ProductVariant)
class ProductVariantAdmin(SyncedRecordAdmin):
    list_display = ("name", "product", "sku", "price", "scid", "salesforce_id")
    list_filter = ("org",)
    search_fields = ("name", "sku", "scid", "salesforce_id")
    list_select_related = ("product",)
    autocomplete_fields = ("product",)


@admin.register(models.ProductOption)
class ProductOptionAdmin(SyncedRecordAdmin):
    list_display = ("configured_product", "optional_product", "number", "quantity", "scid", "salesforce_id")
    list_filter = ("org",)
    list_select_related = ("configured_product", "optional_product")
    autocomplete_fields = ("configured_product", "optional_product")


@admin.register(models.Pricebook)
class PricebookAdmin(SyncedRecordAdmin):
    list_display = ("name", "is_active", "scid", "salesforce_id")
    list_filter = ("org", "is_active")
    search_fields = ("name", "scid", "salesforce_id")


@admin.register(models.PricebookEntry)
class PricebookEntryAdmin(SyncedRecordAdmin):
    list_display = ("product", "pricebook", "unit_price", "currency", "is_active", "scid", "salesforce_id")
    list_filter = ("org", "currency", "is_active")
    search_fields = ("product__name", "scid", "salesforce_id")
    list_select_related = ("product", "pricebook")
    readonly_fields = (*SyncedRecordAdmin.readonly_fields, "composite_key")
    autocomplete_fields = ("product", "pricebook")


class OrderItemInline(admin.TabularInline):
    model = models.OrderItem
    extra = 0
    fields = ("line_number", "product", "quantity", "unit_price", "scid", "salesforce_id")
    readonly_fields = ("scid", "salesforce_id")
    autocomplete_fields = ("product",)


@admin.register(models.Order)
class OrderAdmin(SyncedRecordAdmin):
    list_display = ("scid", "store", "account", "status", "effective_date", "salesforce_id", "created_at")
    list_filter = ("store", "status")
    search_fields = ("scid", "salesforce_id", "account__name")
    list_select_related = ("store", "account")
    date_hierarchy = "effective_date"
    autocomplete_fields = ("account", "bill_to_contact")
    inlines = [OrderItemInline]


@admin.register(models.OrderItem)
class OrderItemAdmin(SyncedRecordAdmin):
    list_display = ("order", "line_number", "product", "quantity", "unit_price", "scid", "salesforce_id")
    list_filter = ("org",)
    list_select_related = ("order", "product")
    readonly_fields = (*SyncedRecordAdmin.readonly_fields, "composite_key")
    autocomplete_fields = ("product",)


@admin.register(models.Asset)
class AssetAdmin(SyncedRecordAdmin):
    list_display = ("name", "account", "contact", "status", "usage_end_date", "scid", "salesforce_id")
    list_filter = ("org", "store", "status")
    search_fields = ("name", "scid", "salesforce_id")
    list_select_related = ("account", "contact")


@admin.register(models.Case)
class CaseAdmin(SyncedRecordAdmin):
    list_display = ("subject", "status", "contact", "store", "scid", "salesforce_id")
    list_filter = ("org", "store", "status")
    search_fields = ("subject", "scid", "salesforce_id")
    list_select_related = ("contact", "store")
