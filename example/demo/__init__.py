"""The demo app: one bearer-protected API view and the ``demo_setup`` command."""
