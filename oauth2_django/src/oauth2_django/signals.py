"""Django signals for what happens at the token endpoint.

``security_event`` is sent for every event oauth2_core reports (a token
issued or refused, refresh-token reuse, throttling) with ``event``, an
:class:`oauth2_core.events.SecurityEvent` that holds no secret, only display
prefixes. Connect a receiver to feed an audit log or alerting::

    from oauth2_django.signals import security_event

    @receiver(security_event)
    def audit(sender, event, **kwargs): ...

Receivers run synchronously. For ``token_issued`` they run inside the
issuance transaction: an audit row commits with the tokens, and a receiver
that raises rolls the issuance back (the client gets a JSON 500). See
docs/events.md for every kind and field.
"""

from __future__ import annotations

from django.dispatch import Signal

from oauth2_core import hookimpl
from oauth2_core.events import SecurityEvent

security_event = Signal()


@hookimpl
def oauth2_security_event(event: SecurityEvent) -> None:
    security_event.send(sender=SecurityEvent, event=event)
