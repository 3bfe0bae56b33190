"""Stock adjustments: an order line holds its quantity of a product until the order is cancelled."""

from decimal import Decimal

from django.db import transaction
from django.db.models import F

from changeevents.recording import record_bulk

from .models import Order, OrderItem, Product, StockReservation


def wanted_quantity(item: OrderItem) -> Decimal:
    if item.product_id is None or item.order.status == Order.Status.CANCELLED:
        return Decimal(0)
    return item.quantity


@transaction.atomic
def reconcile_line(item: OrderItem, wanted: Decimal | None = None) -> Decimal:
    """Move stock by the difference between what the line holds and what it should hold; returns the move.

    The reservation row is locked, so concurrent or repeated calls adjust once.
    """
    wanted = wanted_quantity(item) if wanted is None else wanted
    reservation = StockReservation.objects.select_for_update().filter(order_item=item).first()
    held = reservation.quantity if reservation else Decimal(0)
    moves = []
    if reservation and reservation.product_id != item.product_id and held:
        moves.append((reservation.product_id, -held))  # the line changed product: give the old one back
        held = Decimal(0)
    if wanted != held and item.product_id:
        moves.append((item.product_id, wanted - held))
    for product_id, taken in moves:
        Product.objects.filter(pk=product_id).update(stock_level=F("stock_level") - int(taken))
    if moves:
        # the stock change goes upstream like any other change (queryset.update fires no signal)
        record_bulk(Product.objects.filter(pk__in=[p for p, _ in moves]), "update", ["stock_level"])
    if item.product_id:
        StockReservation.objects.update_or_create(
            order_item=item, defaults={"product_id": item.product_id, "quantity": wanted}
        )
    return sum((taken for _, taken in moves), Decimal(0))


def reconcile_order(order: Order) -> None:
    for item in order.items.select_related("order"):
        reconcile_line(item)


def release_line(item: OrderItem) -> None:
    """An order line is being deleted: give back what it holds."""
    reservation = StockReservation.objects.filter(order_item=item).first()
    if reservation and reservation.quantity:
        Product.objects.filter(pk=reservation.product_id).update(
            stock_level=F("stock_level") + int(reservation.quantity)
        )
        record_bulk(Product.objects.filter(pk=reservation.product_id), "update", ["stock_level"])


def catch_up_inventory(org_id: int) -> int:
    """Adjustments skipped while the triggers were off; returns how many lines were reconciled."""
    items = OrderItem.objects.filter(org_id=org_id).select_related("order")
    return sum(1 for item in items if reconcile_line(item) != 0)
