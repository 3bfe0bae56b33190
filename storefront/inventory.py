"""Stock adjustments: an order line holds its quantity of a product until the order is cancelled or the line goes.

Every adjustment moves stock by the difference between what a line holds (its StockReservation) and what it
should hold now, under a lock on the line, so a repeated or concurrent call, a re-sync or a downstream re-read
moves stock once. A deleted line leaves its reservation behind (order_item set to null); releasing such orphans
gives their stock back.
"""

from collections import Counter
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.db.models import F

from changeevents.bulk_sql import update_rows
from changeevents.recording import record_bulk

from .models import Order, OrderItem, Product, StockReservation

STOCK_FIELDS = {"order_id", "product_id", "quantity"}


def wanted_quantity(item: OrderItem, order_status: str) -> Decimal:
    if item.product_id is None or order_status == Order.Status.CANCELLED:
        return Decimal(0)
    return item.quantity


@transaction.atomic
def reconcile_lines(line_ids: Iterable[int]) -> int:
    """Bring these order lines' reservations to what they should hold; returns the net stock moved (taken > 0)."""
    lines = list(OrderItem.objects.select_for_update().filter(pk__in=list(line_ids)).order_by("pk"))
    statuses = dict(Order.objects.filter(pk__in={line.order_id for line in lines}).values_list("pk", "status"))
    held = {r.order_item_id: r for r in StockReservation.objects.filter(order_item__in=lines)}
    moves: Counter = Counter()  # product -> quantity taken from stock
    new, changed = [], []
    for line in lines:
        reservation = held.get(line.pk)
        holds = reservation.quantity if reservation else Decimal(0)
        if reservation and reservation.product_id != line.product_id and holds:
            moves[reservation.product_id] -= holds  # the line changed product: give the old one back
            holds = Decimal(0)
        wanted = wanted_quantity(line, statuses[line.order_id])
        if line.product_id is None:
            continue
        moves[line.product_id] += wanted - holds
        if reservation is None:
            new.append(StockReservation(order_item=line, product_id=line.product_id, quantity=wanted))
        elif (reservation.product_id, reservation.quantity) != (line.product_id, wanted):
            reservation.product_id, reservation.quantity = line.product_id, wanted
            changed.append(reservation)
    StockReservation.objects.bulk_create(new)
    update_rows(StockReservation, changed, ["product", "quantity"])
    return _move_stock(moves)


@transaction.atomic
def release_orphans(org_id: int) -> int:
    """Give back what the reservations of deleted order lines still hold; returns the quantity released."""
    orphans = list(StockReservation.objects.select_for_update().filter(order_item__isnull=True, product__org_id=org_id))
    moves: Counter = Counter()
    for reservation in orphans:
        moves[reservation.product_id] -= reservation.quantity
    StockReservation.objects.filter(pk__in=[r.pk for r in orphans]).delete()
    return -_move_stock(moves)


def _move_stock(moves: Counter) -> int:
    """Take each product's quantity from its stock level (a negative one gives it back); the new stock levels go
    upstream like any other change (queryset.update fires no signal)."""
    moves = {product_id: int(taken) for product_id, taken in moves.items() if int(taken)}
    for product_id, taken in moves.items():
        Product.objects.filter(pk=product_id).update(stock_level=F("stock_level") - taken)
    if moves:
        record_bulk(Product.objects.filter(pk__in=list(moves)), "update", ["stock_level"])
    return sum(moves.values())


def lines_of_orders(order_ids: Iterable[int]) -> list[int]:
    return list(OrderItem.objects.filter(order_id__in=list(order_ids)).values_list("pk", flat=True))


def catch_up_inventory(org_id: int) -> int:
    """Adjustments skipped while the triggers were off; returns the net stock moved."""
    return reconcile_lines(OrderItem.objects.filter(org_id=org_id).values_list("pk", flat=True)) - release_orphans(
        org_id
    )
