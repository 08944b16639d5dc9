"""Exceptions every engine module may raise, kept apart so that low-level modules (files,
sandbox...) need not import the services."""


class ActionRefused(Exception):
    """The engine refuses what was asked (a rule that protects a person or the law); the
    message says why, in Chinese, and nothing was saved. Every path (web form, action view,
    API, timer) gets the same refusal because the check lives in the service."""


class SetupIncomplete(ActionRefused):
    """Refused because the county's setup lacks what only its administrators can give (e.g.
    an issuing unit's signing key). Besides the user, the county's supervisors are told, by
    the outermost service of the request once the refused transaction has rolled back
    (``workflows.services.task_submit``, which the task page and the API both call; the
    timer sweep reports every failure itself)."""

    def __init__(self, message: str, *, county, where: str):
        super().__init__(message)
        self.county = county
        self.where = where
