# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the connection options every cicd.gitlab module (and, as LOOKUP, every lookup) shares."""

from __future__ import annotations


class ModuleDocFragment:
    """Connection and authentication options (defined in code in module_utils/_module.py)."""

    DOCUMENTATION = r'''
options:
  api_url:
    description:
      - URL of the GitLab instance, for example V(https://gitlab.example.com).
      - The REST API is reached under C(/api/v4) below it; a trailing C(/api/v4) is accepted too.
      - "It must be an C(http://) or C(https://) URL with a host and nothing else: no spaces, no query
        string, no fragment, no C(user:password@). The scheme may be written in any case."
      - If not set, the environment variable E(GITLAB_URL) is used, then E(CI_SERVER_URL)
        (set by GitLab inside CI jobs).
    type: str
    required: true
  api_token:
    description:
      - The token used to authenticate to GitLab.
      - A personal, project or group access token for O(api_token_type=private), an OAuth 2 access
        token for O(api_token_type=oauth), a CI/CD job token for O(api_token_type=job).
      - If not set, the environment variable E(GITLAB_TOKEN) is used; with O(api_token_type=job),
        E(CI_JOB_TOKEN) is used last.
      - The token is sent only to the host of O(api_url), never to a host a download redirects to.
      - Whitespace around the token (a line end left by C($(cat file)), a pasted value, an AWX field)
        is stripped. A token with a space, a line break or a control character inside it is refused
        before any request, and the message does not show it.
      - The module registers the token, in every form a library may print it (as written, stripped,
        escaped and URL-encoded), as a secret, so it is masked in every message and result.
    type: str
  api_token_type:
    description:
      - How O(api_token) is sent.
      - "V(private) sends a C(PRIVATE-TOKEN) header, V(oauth) an C(Authorization: Bearer) header,
        V(job) a C(JOB-TOKEN) header."
      - A job token is accepted by GitLab only on a few endpoints (job artifacts downloads,
        triggering a pipeline); variables and trigger tokens need a private or OAuth token.
    type: str
    choices: [private, oauth, job]
    default: private
  validate_certs:
    description:
      - Whether to verify the TLS certificate of the GitLab server.
      - Only set to V(false) on personally controlled sites using self-signed certificates.
    type: bool
    default: true
  ca_path:
    description:
      - Path to a PEM file of CA certificates used to verify the GitLab server's certificate.
    type: path
  timeout:
    description:
      - Seconds to wait for GitLab to accept a connection and for each read from it.
      - An API answer (other than a download) must also arrive whole within this time, so an answer
        dripped a byte at a time cannot hold the task.
    type: float
    default: 30
  task_timeout:
    description:
      - Seconds the whole task may take, waits, retries and downloads included. When it runs out the
        task fails with a message that says so.
      - Not set by default; O(timeout) still bounds each answer.
    type: float
  api_retries:
    description:
      - How many times a request is retried when GitLab answers 429 (rate limited), or for
        requests that are safe to repeat (GET, HEAD, PUT, DELETE) 502, 503, 504 or a connection failure.
      - A POST that may have reached GitLab is never sent again.
      - A download (artifacts, a job log) whose body is cut before its end is fetched again from the
        start, as many times; the destination is only replaced by a complete file.
      - Waiting honours C(Retry-After) and C(RateLimit-Reset); the total wait of one request is
        bounded by two minutes.
      - V(0) disables retries.
    type: int
    default: 5
requirements:
  - requests (Python library on the host that runs the module)
'''

    # The same options for the lookup plugins, which read them (and the environment) through Ansible's
    # plugin configuration rather than module_defaults.
    LOOKUP = r'''
options:
  api_url:
    description:
      - URL of the GitLab instance, for example V(https://gitlab.example.com); the REST API is reached under C(/api/v4) below it.
      - Required, as a keyword argument or from the environment; without it the lookup fails saying so.
      - An C(http://) or C(https://) URL with a host and nothing else (no query, no fragment, no C(user:password@)).
      - "C(module_defaults) do not reach lookups: pass it as a keyword argument, or set E(GITLAB_URL)
        (E(CI_SERVER_URL), set by GitLab inside CI jobs, is used when E(GITLAB_URL) is not set)."
    type: str
    env:
      - name: CI_SERVER_URL
      - name: GITLAB_URL
  api_token:
    description:
      - The token used to authenticate to GitLab (personal, project or group access token, OAuth 2 token, CI/CD job token;
        see O(api_token_type)).
      - If not set, the environment variable E(GITLAB_TOKEN) is used; with O(api_token_type=job), E(CI_JOB_TOKEN) is used last.
      - The token is never shown in an error message.
    type: str
    env:
      - name: GITLAB_TOKEN
  api_token_type:
    description:
      - "How O(api_token) is sent: V(private) as a C(PRIVATE-TOKEN) header, V(oauth) as C(Authorization: Bearer),
        V(job) as C(JOB-TOKEN)."
    type: str
    choices: [private, oauth, job]
    default: private
  validate_certs:
    description:
      - Whether to verify the TLS certificate of the GitLab server.
    type: bool
    default: true
  ca_path:
    description:
      - Path to a PEM file of CA certificates used to verify the GitLab server's certificate.
    type: path
  timeout:
    description:
      - Seconds to wait for GitLab to accept a connection and for each read; a JSON answer must arrive whole within this time.
    type: float
    default: 30
  task_timeout:
    description:
      - Seconds the whole lookup may take, retries and waits included. Not set by default.
    type: float
  api_retries:
    description:
      - How many times a request is retried when GitLab answers 429, 502, 503 or 504, or the connection fails. V(0) disables retries.
    type: int
    default: 5
'''
