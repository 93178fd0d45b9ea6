"""The learner edition's repository is one setting in pyproject.toml; every link derives from it."""

import pytest

from qtlib.utils.publishing import FIRST_CHAPTER, binder_badge, binder_url, learner_repo


def _project(tmp_path, setting: str):
    (tmp_path / "pyproject.toml").write_text(f"[tool.qtlib]\n{setting}\n")
    return tmp_path


def test_the_setting_drives_every_link(tmp_path):
    root = _project(tmp_path, 'learner_repo = "acme/qt-course"')
    assert learner_repo(root) == "acme/qt-course"
    url = binder_url("chapters/ch02_x/ch02_x.ipynb", root)
    assert url == ("https://mybinder.org/v2/gh/acme/qt-course/HEAD"
                   "?urlpath=lab%2Ftree%2Fchapters%2Fch02_x%2Fch02_x.ipynb".replace("%2F", "/"))
    assert binder_badge(root=root).endswith(f"({binder_url(FIRST_CHAPTER, root)})")


@pytest.mark.parametrize("setting", ['learner_repo = "no-slash"', 'learner_repo = "a/b/c"',
                                     "learner_repo = 3", 'learner_repo = "a/b c"'])
def test_a_malformed_setting_is_refused(tmp_path, setting):
    with pytest.raises(ValueError):
        learner_repo(_project(tmp_path, setting))


def test_a_missing_setting_says_which(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.qtlib]\n")
    with pytest.raises(KeyError, match="learner_repo"):
        learner_repo(tmp_path)


def test_the_course_names_its_learner_edition():
    assert "/" in learner_repo()
