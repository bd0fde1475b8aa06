"""oauth2-testing: what a grant or token-store author needs to test against oauth2-core.

- :mod:`oauth2_testing.memory`: an in-memory host and token store.
- :mod:`oauth2_testing.client`: a token-endpoint client over the real endpoint flow.
- :mod:`oauth2_testing.strategies`: hypothesis strategies driven by a grant's declared parameters.
- :mod:`oauth2_testing.contracts`: ``GrantContract`` and ``TokenStoreContract`` to subclass.
- :mod:`oauth2_testing.pytest_plugin`: fixtures, loaded automatically through ``pytest11``.
"""
