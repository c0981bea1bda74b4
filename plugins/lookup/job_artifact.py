# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
name: job_artifact
short_description: Read one file from the artifacts of a GitLab CI/CD job
version_added: 0.2.0
author: cicd.gitlab contributors (@cicd-gitlab)
description:
  - Returns the content of one file inside a job's artifacts archive, without downloading the archive.
  - The job is given by O(job_id), or by O(ref) and O(job) (its name). By ref, GitLab picks the job of that name
    in the latest B(successful) pipeline of the branch or tag (C(GET /projects/:id/jobs/artifacts/:ref_name/raw/*artifact_path?job=NAME));
    a newer pipeline that failed or is still running is not used, and a ref without a successful pipeline is an error.
  - One request per file. Several paths give a list of contents in the same order.
  - The content is returned as unsafe text, so a file holding C({{) is never templated.
  - Runs on the controller. C(module_defaults) do not reach lookups, so give the connection options as keyword
    arguments or through the environment variables named below.
options:
  _terms:
    description:
      - The paths of the files inside the archive, such as V(dist/VERSION).
      - A path starting with C(/), with C(.) or C(..) segments, empty segments, backslashes or percent-encoded
        characters is refused before any request.
    type: list
    elements: str
    required: true
  project:
    description:
      - The project of the job, as a numeric id or a full path such as V(acme/app).
    type: str
    required: true
  job_id:
    description:
      - The id of the job. Mutually exclusive with O(ref) and O(job).
      - By job id, GitLab serves files only while the artifacts have not expired (or the pipeline is locked).
    type: int
  ref:
    description:
      - The branch or tag whose latest successful pipeline holds the job; needs O(job). Not a commit SHA.
    type: str
  job:
    description:
      - The name of the job in that pipeline; needs O(ref).
    type: str
  max_size:
    description:
      - The largest file, in bytes, the lookup reads; a larger file is an error that says so (the lookup holds the
        whole file in memory). The default is 1 MiB.
    type: int
    default: 1048576
  encoding:
    description:
      - V(text) returns the file decoded as UTF-8; a file that is not UTF-8 is an error suggesting V(base64).
      - V(base64) returns the file's bytes encoded in base64, for binary files (decode with the C(b64decode) filter).
    type: str
    choices: [text, base64]
    default: text
extends_documentation_fragment:
  - cicd.gitlab.connection.lookup
notes:
  - Reading artifacts needs the Reporter role (or a public project, or a CI/CD job token that may read the project).
  - A file that is not in the archive is an error (GitLab answers 404).
seealso:
  - name: GitLab job artifacts API
    description: The API this lookup uses.
    link: https://docs.gitlab.com/api/job_artifacts/#download-a-single-artifact-file-from-specific-tag-or-branch
  - module: cicd.gitlab.gitlab_ci_job
    description: Run a job, wait for it, and download its artifacts to a managed host.
'''

EXAMPLES = r'''
- name: The VERSION file of the latest successful build on main
  ansible.builtin.debug:
    msg: "{{ lookup('cicd.gitlab.job_artifact', 'dist/VERSION', project='acme/app', ref='main', job='build') | trim }}"

- name: A file of job 42
  ansible.builtin.set_fact:
    report: "{{ lookup('cicd.gitlab.job_artifact', 'reports/summary.json', project='acme/app', job_id=42) | from_json }}"

- name: A binary file, base64-encoded, up to 5 MiB
  ansible.builtin.copy:
    content: "{{ lookup('cicd.gitlab.job_artifact', 'dist/logo.png', project='acme/app', job_id=42,
                 encoding='base64', max_size=5242880) | b64decode }}"
    dest: /tmp/logo.png
    mode: "0644"
'''

RETURN = r'''
_raw:
  description:
    - The content of each file, in the order of the paths, as text (O(encoding=text)) or base64 (O(encoding=base64)).
  type: list
  elements: str
'''

import io

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.cicd.gitlab.plugins.module_utils import _lookup
from ansible_collections.cicd.gitlab.plugins.module_utils._client import artifact_path_problem
from ansible_collections.cicd.gitlab.plugins.module_utils._errors import GitLabDownloadError, GitLabNotFoundError, GitLabStreamCutError


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        options = _lookup.connection_options(self.get_option)
        secrets = _lookup.secrets_of(options)
        return _lookup.guarded(lambda: [wrap_var(value) for value in self._contents(terms, options)], AnsibleLookupError, secrets)

    def _contents(self, terms, options):
        problem = _lookup.terms_problem(terms, 'artifact path')
        if problem:
            raise _lookup.LookupProblem(problem)
        source = _lookup.artifact_source(**dict((name, self.get_option(name)) for name in
                                                ('project', 'job_id', 'ref', 'job', 'max_size', 'encoding')))
        for path in terms:
            problem = artifact_path_problem(path)
            if problem:
                raise _lookup.LookupProblem(problem)
        client = _lookup.make_client(options)
        return [self._content(client, source, path) for path in terms]

    @staticmethod
    def _content(client, source, path):
        handle = io.BytesIO()
        try:
            if source['job_id'] is not None:
                client.download_artifact_file(source['project'], source['job_id'], path, handle, max_size=source['max_size'])
            else:
                client.download_artifact_file_by_ref(source['project'], source['ref'], source['job'], path, handle,
                                                     max_size=source['max_size'])
        except GitLabStreamCutError:
            raise
        except GitLabDownloadError:
            # the handle is in memory, so the only other download error is the size cap
            raise _lookup.LookupProblem(_lookup.too_large_message(source, path)) from None
        except GitLabNotFoundError as err:
            raise _lookup.LookupProblem('%s not found: %s' % (_lookup.artifact_text(source, path), err)) from None
        return _lookup.decode_content(handle.getvalue(), source['encoding'], source, path)
