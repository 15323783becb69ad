"""The one exception the corpus loaders raise, with a message fit to show a user as is."""


class CorpusError(ValueError):
    """A corpus that cannot be used: missing, empty, or not UTF-8."""
