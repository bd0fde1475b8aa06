"""oauth2_django: the Django app for oauth2-core (app label ``oauth2``)."""
