"""Exceptions every engine module may raise, kept apart so that low-level modules (files,
sandbox...) need not import the services."""


class ActionRefused(Exception):
    """The engine refuses what was asked (a rule that protects a person or the law); the
    message says why, in Chinese, and nothing was saved. Every path (web form, action view,
    API, timer) gets the same refusal because the check lives in the service."""
