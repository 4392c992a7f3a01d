"""Where a merchant's webhook may go: the platform-wide guard in core.webhooks (EPCIS subscriptions
use it too), named here as complaints has always named it."""

from __future__ import annotations

from core.webhooks import Address, DeliveryFailed, Destinations

__all__ = ["Address", "DeliveryFailed", "Destinations"]
