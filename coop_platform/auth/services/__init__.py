"""Account services: invitations and enrolment, login, account changes by users and admins.

Services take plain arguments, return models or raise domain exceptions, write their audit
records in the same transaction and commit; they never touch the request, session or flash.
"""
