# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure pipeline trigger token logic: validate, match, plan, diff and result. No HTTP in here.

The module lists the project's triggers once (all pages), then: ``validate()`` (options ->
wanted state, every input error at once) -> ``plan()`` -> apply through the client ->
``build_result()`` / ``build_diff()``. The plan is the single source of ``changed``, the diff
and the return value; check mode is the same path with the writes skipped.

A trigger is identified by its description, or picked by ``trigger_id``
(https://docs.gitlab.com/api/pipeline_triggers/).

Secrets: GitLab shows a trigger's full token only to users who may ``admin_trigger`` it (and in
the answer to the create request): its owner and, in the newest app/policies/ci/trigger_policy.rb
(``rule { admin | is_owner }``), instance administrators; older GitLab, the owner only. Anyone
else sees the first 4 characters after the ``glptt-`` prefix (app/presenters/ci/trigger_presenter.rb,
``short_token``). ``token_info()`` tells the two apart so that a truncated token is never returned
as if it were usable; a full token is usable whoever owns the trigger, so ``token_available`` is
true for an administrator too. A full token therefore does not prove that the caller owns the
trigger: only ``owner`` does (see ``new_triggers()``). No token ever goes into a message, a
warning or the diff.
Private to the collection: the API of this file may change without notice.
"""

from __future__ import annotations

import datetime
import re

from ansible_collections.cicd.gitlab.plugins.module_utils._errors import InputError

STATES = ('present', 'absent')
ACTIONS = ('create', 'update_description', 'rotate', 'delete', 'none')

# app/models/ci/trigger.rb: new tokens are "glptt-" + SecureRandom.hex(20); older ones are bare
# hex (30 characters in GitLab's examples). Others see short_token: 4 characters after the prefix.
FULL_TOKEN_RE = re.compile(r'glptt-[0-9a-f]{40}\Z')
LEGACY_TOKEN_RE = re.compile(r'[0-9a-fA-F]{20,}\Z')
# Anything shorter cannot be a complete token. A token of 20 characters or more in another
# shape (an instance-wide token prefix, a future format) is taken as complete.
COMPLETE_TOKEN_MIN = 20

# The fields of GitLab's trigger entity that the module returns (never the token).
PUBLIC_FIELDS = ('id', 'description', 'owner', 'created_at', 'updated_at', 'last_used', 'expires_at')
DIFF_FIELDS = ('id', 'description', 'expires_at')

# expires_at: a date, or a date and time with an optional UTC offset (ISO 8601). Without an
# offset the time is UTC, as GitLab (Ruby's DateTime.parse) reads it.
_EXPIRES_RE = re.compile(
    r'(?P<date>\d{4}-\d{2}-\d{2})'
    r'(?:[T ](?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.\d+)?)?'
    r'\s*(?P<tz>[Zz]|[+-]\d{2}(?::?\d{2})?)?)?\Z')
EXPIRES_FORMAT = '%Y-%m-%dT%H:%M:%SZ'


# ---- tokens -------------------------------------------------------------------------------

def token_kind(token) -> str:
    """Classify a token as GitLab shows it: ``full``, ``legacy``, ``other``, ``truncated`` or ``missing``.

    ``full`` is ``glptt-`` + 40 hex characters, ``legacy`` 20 or more hex characters without the
    prefix, ``other`` any other string of COMPLETE_TOKEN_MIN characters or more; ``truncated`` is
    what GitLab shows to users who may not admin the trigger (4 characters).
    """
    if not isinstance(token, str) or not token:
        return 'missing'
    if FULL_TOKEN_RE.match(token):
        return 'full'
    if LEGACY_TOKEN_RE.match(token):
        return 'legacy'
    if len(token) >= COMPLETE_TOKEN_MIN:
        return 'other'
    return 'truncated'


def token_info(api_trigger) -> tuple:
    """``(token, True)`` when GitLab showed the complete token, else ``(None, False)``."""
    token = (api_trigger or {}).get('token')
    if token_kind(token) in ('full', 'legacy', 'other'):
        return token, True
    return None, False


def is_foreign(api_trigger) -> bool:
    """True when GitLab showed a truncated token: the trigger belongs to another user (and the caller is
    not an administrator GitLab shows every token to)."""
    return token_kind((api_trigger or {}).get('token')) == 'truncated'


# ---- views ----------------------------------------------------------------------------------

def owner_name(api_trigger):
    """The username of the trigger's owner, or None (legacy triggers have no owner)."""
    owner = (api_trigger or {}).get('owner')
    if isinstance(owner, dict):
        return owner.get('username')
    return None


def public_trigger(api_trigger):
    """The ``trigger`` return value: GitLab's entity without the token, owner as a username."""
    if api_trigger is None:
        return None
    view = dict((field, api_trigger.get(field)) for field in PUBLIC_FIELDS)
    view['owner'] = owner_name(api_trigger)
    return view


def diff_view(api_trigger) -> dict:
    """What the diff shows of a trigger: id, description and expiry, never the token."""
    if api_trigger is None:
        return {}
    return dict((field, api_trigger.get(field)) for field in DIFF_FIELDS)


def _ref(api_trigger) -> str:
    name = owner_name(api_trigger)
    return 'trigger %s (owned by %s)' % (api_trigger.get('id'), name) if name else 'trigger %s' % api_trigger.get('id')


# ---- validation -----------------------------------------------------------------------------

def parse_expires_at(text):
    """Parse an ISO 8601 date or date and time into an aware UTC datetime; raise ValueError."""
    match = _EXPIRES_RE.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise ValueError('not an ISO 8601 date')
    year, month, day = (int(part) for part in match.group('date').split('-'))
    offset = datetime.timedelta(0)
    tz_text = match.group('tz')
    if tz_text and tz_text not in ('Z', 'z'):
        digits = tz_text[1:].replace(':', '')
        hours, minutes = int(digits[:2]), int(digits[2:] or 0)
        if hours > 23 or minutes > 59:
            raise ValueError('bad UTC offset')
        offset = datetime.timedelta(hours=hours, minutes=minutes) * (-1 if tz_text[0] == '-' else 1)
    when = datetime.datetime(year, month, day, int(match.group('hour') or 0), int(match.group('minute') or 0),
                             int(match.group('second') or 0), tzinfo=datetime.timezone(offset))
    return when.astimezone(datetime.timezone.utc)


def format_expires_at(when) -> str:
    """The form sent to GitLab: UTC, to the second (``2027-01-31T00:00:00Z``)."""
    return when.astimezone(datetime.timezone.utc).strftime(EXPIRES_FORMAT)


def _now(now):
    return now if now is not None else datetime.datetime.now(datetime.timezone.utc)


def validate(params, now=None) -> dict:
    """Check the options before any request; return the wanted state or raise InputError.

    The result has ``project``, ``description``, ``trigger_id``, ``state``, ``rotate`` and
    ``expires_at`` (normalized to EXPIRES_FORMAT, or None).
    """
    errors = []
    project = params.get('project')
    project = str(project).strip() if project is not None else ''
    if not project:
        errors.append('project must be a numeric id or a full path such as acme/app, got an empty value')
    description = params.get('description')
    trigger_id = params.get('trigger_id')
    state = params.get('state') or 'present'
    rotate = bool(params.get('rotate'))
    if description is not None and not description.strip():
        errors.append('description must not be empty or only whitespace')
    if description is None and trigger_id is None:
        errors.append('give description (to find or create a trigger by its description) or trigger_id (to pick a trigger by its id)')
    if trigger_id is not None and trigger_id <= 0:
        errors.append('trigger_id must be a positive number, got %s' % trigger_id)
    if state not in STATES:
        errors.append('state must be one of %s, got %s' % (', '.join(STATES), state))
    if state == 'absent' and rotate:
        errors.append('rotate=true cannot be used with state=absent')
    expires_at = params.get('expires_at')
    if expires_at is not None:
        if state == 'absent':
            errors.append('expires_at cannot be used with state=absent')
        try:
            when = parse_expires_at(expires_at)
        except ValueError:
            errors.append("expires_at must be an ISO 8601 date such as 2027-01-31, or a date and time such as "
                          "2027-01-31T12:00:00Z, got '%s'" % expires_at)
        else:
            current = _now(now)
            if when <= current:
                errors.append('expires_at %s is in the past (it is now %s); a trigger must expire in the future'
                              % (format_expires_at(when), format_expires_at(current)))
            expires_at = format_expires_at(when)
    if errors:
        raise InputError(errors)
    return dict(project=project, description=description, trigger_id=trigger_id, state=state, rotate=rotate,
                expires_at=expires_at)


# ---- matching and plan ----------------------------------------------------------------------

def find_matches(triggers, description=None, trigger_id=None) -> list:
    """The triggers picked by ``trigger_id`` when given, else those whose description is ``description``.

    With ``trigger_id`` the description is not a filter: it is the description wanted for that trigger.
    """
    if trigger_id is not None:
        return [item for item in triggers if _same_id(item.get('id'), trigger_id)]
    return [item for item in triggers if item.get('description') == description]


def _same_id(left, right) -> bool:
    try:
        return int(left) == int(right)
    except (TypeError, ValueError):
        return False


def ambiguous_message(project, description, matches) -> str:
    ids = ', '.join(str(item.get('id')) for item in sorted(matches, key=lambda item: int(item.get('id') or 0)))
    return ("%d triggers in project %s have the description '%s' (ids %s); set trigger_id to pick one"
            % (len(matches), project, description, ids))


def not_found_message(project, trigger_id) -> str:
    return 'trigger %s not found in project %s' % (trigger_id, project)


def same_expiry(gitlab_value, wanted) -> bool:
    """Whether GitLab's ``expires_at`` is the instant ``wanted`` (EXPIRES_FORMAT) names."""
    if gitlab_value is None or wanted is None:
        return gitlab_value is None and wanted is None
    try:
        return format_expires_at(parse_expires_at(gitlab_value)) == wanted
    except ValueError:
        return False


class Plan:
    """What to do with one trigger.

    ``action`` is one of ACTIONS; ``current`` is GitLab's trigger (or None); ``description`` and
    ``expires_at`` are what a created, rotated or updated trigger gets; ``warnings`` are
    token-free texts for module.warn(); ``foreign`` says GitLab showed a truncated token for
    ``current`` (another user owns it).
    """

    def __init__(self, action, project, current=None, description=None, expires_at=None, warnings=None):
        self.action = action
        self.project = project
        self.current = current
        self.description = description
        self.expires_at = expires_at
        self.warnings = list(warnings or [])
        self.foreign = is_foreign(current)

    @property
    def changed(self) -> bool:
        return self.action != 'none'

    def predicted(self):
        """The trigger as it will be after the plan, as far as it is known without GitLab's answer."""
        if self.action in ('create', 'rotate'):
            return dict(id=None, description=self.description, owner=None, created_at=None, updated_at=None,
                        last_used=None, expires_at=self.expires_at)
        if self.action == 'update_description':
            return dict(self.current, description=self.description)
        return self.current

    def before(self) -> dict:
        return diff_view(self.current)

    def after(self, answer=None) -> dict:
        if self.action == 'delete':
            return {}
        if answer is not None:
            return diff_view(answer)
        return diff_view(self.predicted())


def _expiry_warning(current, wanted):
    if wanted is None or same_expiry(current.get('expires_at'), wanted):
        return None
    has = 'expires at %s' % current['expires_at'] if current.get('expires_at') else 'has no expiry'
    return ('trigger %s %s, not %s: GitLab cannot change the expiry of an existing trigger, so expires_at was not '
            'applied; set rotate=true to replace the trigger (and its token) with one that expires as requested'
            % (current.get('id'), has, wanted))


def plan(triggers, wanted) -> Plan:
    """Plan the task from the project's triggers and the output of validate(); raise InputError."""
    project, description, trigger_id = wanted['project'], wanted['description'], wanted['trigger_id']
    state, expires_at = wanted['state'], wanted['expires_at']
    matches = find_matches(triggers, description, trigger_id)
    if trigger_id is None and len(matches) > 1:
        raise InputError([ambiguous_message(project, description, matches)])
    current = matches[0] if matches else None
    if state == 'absent':
        if current is None:
            return Plan('none', project)  # already absent
        if trigger_id is not None and description is not None and current.get('description') != description:
            raise InputError(["trigger %s has the description '%s', not '%s'; leave out description to delete "
                              "it by trigger_id alone" % (trigger_id, current.get('description'), description)])
        return Plan('delete', project, current)
    if current is None:
        if trigger_id is not None:
            raise InputError([not_found_message(project, trigger_id)])
        return Plan('create', project, None, description, expires_at)
    target = description if description is not None else current.get('description')
    if wanted['rotate']:
        return Plan('rotate', project, current, target, expires_at)
    warnings = [text for text in (_expiry_warning(current, expires_at),) if text]
    if target != current.get('description'):
        return Plan('update_description', project, current, target, current.get('expires_at'), warnings)
    return Plan('none', project, current, target, current.get('expires_at'), warnings)


# ---- messages after GitLab answered -----------------------------------------------------------

def not_owner_message(the_plan, gitlab_message=None) -> str:
    """Why a description change was refused (GitLab: 403), and what to do instead."""
    said = ' (GitLab: %s)' % gitlab_message if gitlab_message else ''
    return ('Cannot change the description of %s in project %s: only the owner of a trigger can change its '
            'description (on recent GitLab, an administrator too)%s. Set rotate=true to replace it with a new trigger '
            'that you own (its token changes), or create a new trigger with another description'
            % (_ref(the_plan.current), the_plan.project, said))


def not_owner_warning(the_plan) -> str:
    """Check mode: GitLab showed a truncated token, so the update would most likely be refused."""
    return ('GitLab shows only 4 characters of the token of %s, so it belongs to another user; only its owner can '
            'change its description and GitLab will most likely refuse. Set rotate=true to replace it with a new '
            'trigger that you own' % _ref(the_plan.current))


def rotate_delete_failed_message(the_plan, answer, error_text) -> str:
    """Rotation created the new trigger but could not delete the old one."""
    return ('Rotating trigger %s in project %s: the new trigger %s was created, but deleting the old one failed: %s. '
            'Delete trigger %s yourself; the new trigger is yours, so a task with trigger_id=%s returns its token'
            % (the_plan.current.get('id'), the_plan.project, (answer or {}).get('id'), error_text,
               the_plan.current.get('id'), (answer or {}).get('id')))


def expiry_ignored_warning(the_plan, answer):
    """A warning when expires_at was sent on create but GitLab's answer has no expiry, else None."""
    if the_plan.expires_at is None or answer is None or the_plan.action not in ('create', 'rotate'):
        return None
    if answer.get('expires_at'):
        return None
    return ('GitLab ignored expires_at for trigger %s: its answer has no expiry, so this GitLab does not support '
            'trigger token expiry (it needs a recent version with the trigger_token_expiration feature flag); '
            'the trigger does not expire' % answer.get('id'))


# ---- result ---------------------------------------------------------------------------------

def build_result(the_plan, answer=None) -> dict:
    """The module result: ``changed``, ``trigger``, ``token_available`` and ``token`` when complete.

    ``answer`` is GitLab's answer to the create (or rotate) or update request; None in check
    mode and for the other actions. In check mode a new trigger has no token yet.
    """
    if the_plan.action == 'delete':
        trigger, shown = the_plan.current, None
    elif answer is not None:
        trigger = shown = answer
    else:
        trigger = shown = the_plan.predicted()
    result = dict(changed=the_plan.changed, trigger=public_trigger(trigger))
    token, available = token_info(shown)
    result['token_available'] = available
    if available:
        result['token'] = token
    return result


def build_diff(the_plan, answer=None) -> dict:
    """``{'before', 'after'}`` of id, description and expires_at; never the token."""
    return {'before': the_plan.before(), 'after': the_plan.after(answer)}


# ---- a create whose answer was lost -----------------------------------------------------------

def new_triggers(triggers, before, description, username=None):
    """``(ours, others)``: the triggers with ``description`` that were not in ``before`` (the list read
    before the create), split by whether they are the caller's.

    A trigger created with our token is ours, so GitLab lists it with its full token
    (app/presenters/ci/trigger_presenter.rb: the token when the user may admin_trigger, else
    short_token). A full token alone is not proof: the newest app/policies/ci/trigger_policy.rb
    grants admin_trigger to instance administrators as well as the owner, so an administrator sees
    the full token of another user's new trigger too. With ``username`` (the caller's), a trigger is
    ours only when GitLab shows its full token and its ``owner`` is that user; without it, every new
    trigger with a full token counts as ours, which is right for anyone but an administrator."""
    known = set(_int_id(item.get('id')) for item in before or ())
    fresh = sorted((item for item in triggers or () if isinstance(item, dict) and item.get('description') == description
                    and _int_id(item.get('id')) not in known), key=lambda item: _int_id(item.get('id')))
    ours = [item for item in fresh if _is_ours(item, username)]
    others = [item for item in fresh if not _is_ours(item, username)]
    return ours, others


def _is_ours(api_trigger, username):
    if not token_info(api_trigger)[1]:
        return False
    if username is None:
        return True
    owner = owner_name(api_trigger)
    return isinstance(owner, str) and owner.lower() == str(username).lower()


def _int_id(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def created_decision(ours, others):
    """``adopt`` (exactly one new trigger of ours and no other new one), ``none`` or ``unknown``."""
    if len(ours) == 1 and not others:
        return 'adopt'
    if not ours and not others:
        return 'none'
    return 'unknown'


def _lost_head(the_plan, reason):
    what = 'rotating trigger %s' % the_plan.current.get('id') if the_plan.action == 'rotate' else 'creating a trigger'
    return ("GitLab's answer to %s with the description '%s' in project %s was lost (%s)"
            % (what, the_plan.description, the_plan.project, reason))


def _old_kept(the_plan):
    if the_plan.action != 'rotate':
        return ''
    return '; the old trigger %s was not deleted and its token is still valid' % the_plan.current.get('id')


def created_none_message(the_plan, reason, still_running=False):
    text = ('%s; listing the triggers again shows no new trigger with that description, so none was created%s. The task can '
            'be run again' % (_lost_head(the_plan, reason), _old_kept(the_plan)))
    if still_running:
        text += (' (GitLab did not answer in time and may still be working on the request: list the project\'s triggers '
                 'first, Settings > CI/CD > Pipeline trigger tokens or GET /projects/:id/triggers)')
    return text


def created_unknown_message(the_plan, reason, ours=(), others=(), why=None):
    if why:
        found = why
    else:
        found = 'new triggers with that description: %s' % ', '.join(
            '%s (%s)' % (item.get('id'), 'yours' if item in ours else 'owned by %s' % (owner_name(item) or 'another user'))
            for item in sorted(list(ours) + list(others), key=lambda item: _int_id(item.get('id'))))
    return ('%s: a trigger may have been created and it cannot be told which (%s)%s. Check the project\'s triggers '
            '(Settings > CI/CD > Pipeline trigger tokens, or GET /projects/:id/triggers) and delete the ones not wanted '
            'before running the task again; a task with trigger_id returns the token of a trigger you own'
            % (_lost_head(the_plan, reason), found, _old_kept(the_plan)))


def adopted_note(trigger, reason):
    """A warning text: the create's answer was lost and the new trigger was found by listing again."""
    return ("GitLab's answer to creating trigger %s was lost (%s); it was found by listing the project's triggers again"
            % (trigger.get('id'), reason))
