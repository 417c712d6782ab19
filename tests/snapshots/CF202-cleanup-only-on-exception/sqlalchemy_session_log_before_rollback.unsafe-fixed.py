import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession

from .models import Order, OrderLine

log = logging.getLogger(__name__)


class OrderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def place(self, customer_id: int, lines: list[tuple[int, int]]) -> Order:
        order = Order(customer_id=customer_id)
        try:
            self._session.add(order)
            await self._session.flush()
            for product_id, quantity in lines:
                self._session.add(
                    OrderLine(order_id=order.id, product_id=product_id, quantity=quantity)
                )
            await self._session.commit()
        except BaseException:
            log.exception("placing order for customer %s failed", customer_id)
            await self._session.rollback()
            raise
        return order
