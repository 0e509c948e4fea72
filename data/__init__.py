"""The bundled demo data (policy pack, sellers, images, hash bank, lexicon, brands, cases).

Found through `importlib.resources`, so an installed wheel reads the same files as a checkout.
"""
