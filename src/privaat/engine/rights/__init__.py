"""Rights requests: intake, identity verification, deadlines and extensions, the outbox.

``intake`` files a request (and acknowledges it to the person), ``verify`` checks that the
person is who the request names (a one-time code or link to their e-mail address, or a
staff member's reasoned override), ``deadlines`` extends a request and finds the ones that
need attention, ``closing`` rejects or cancels one, ``letters`` words what the person is
sent and ``outbox`` queues and delivers it. Every function takes the caller's session and
never commits; every change is audited without the person's identity or free text.
"""
