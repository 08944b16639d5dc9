"""manage.py bootstrap_county: a real county with no demo account, and an administrator who
must choose a password through a one-time link."""
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from engine.models import ProcessDefinition, Role, Unit, UnitLevel
from workflows.bootstrap import BootstrapError, parse_units
from workflows.demo import DEMO_PASSWORD

# A fresh installation: without the test session's demo seed.
pytestmark = pytest.mark.usefixtures("no_demo")


def _bootstrap(tmp_path, **extra):
    units = tmp_path / "units.txt"
    units.write_text("# 乡镇：村\n兰溪镇：上华村、下华村\n游埠镇: 游埠村\n", encoding="utf-8")
    out = io.StringIO()
    call_command("bootstrap_county", "--county", "兰江区", "--doc-prefix", "兰民",
                 "--office-name", "兰江区民政局", "--admin", "lj_admin", "--units", str(units),
                 stdout=out, **extra)
    return out.getvalue()


@pytest.mark.django_db
def test_bootstrap_sets_up_a_county_without_demo_accounts(tmp_path, client):
    output = _bootstrap(tmp_path)
    county = Unit.objects.get(name="兰江区", level=UnitLevel.COUNTY)
    assert county.doc_prefix == "兰民"
    assert sorted(county.children.values_list("name", flat=True)) == ["兰溪镇", "游埠镇"]
    assert Unit.objects.filter(level=UnitLevel.VILLAGE).count() == 3
    assert Role.objects.filter(code="township_leader").exists()
    assert ProcessDefinition.objects.filter(key="temporary_relief").exists()
    users = get_user_model().objects.exclude(username="AnonymousUser")  # django-guardian's
    assert [u.username for u in users] == ["lj_admin"]  # no demo account
    admin = users.get()
    assert not admin.has_usable_password()
    assert not client.login(username="lj_admin", password=DEMO_PASSWORD)
    assert admin.has_perm("engine.supervise_unit", county)

    link = next(line.strip() for line in output.splitlines() if "/password/set/" in line)
    path = link[link.index("/password/set/"):]
    page = client.get(path, follow=True)
    assert page.status_code == 200
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else path
    weak = client.post(form_url, {"new_password1": "12345678", "new_password2": "12345678"})
    assert "密码" in weak.content.decode() and not get_user_model().objects.get(
        pk=admin.pk).has_usable_password()
    done = client.post(form_url, {"new_password1": "Lanjiang-2027!", "new_password2":
                                  "Lanjiang-2027!"}, follow=True)
    assert "密码已设置" in done.content.decode()
    assert client.login(username="lj_admin", password="Lanjiang-2027!")
    # The link is single-use.
    client.logout()
    again = client.get(path, follow=True)
    assert "该链接已失效" in again.content.decode()


@pytest.mark.django_db
def test_bootstrap_again_keeps_units(tmp_path):
    _bootstrap(tmp_path)
    _bootstrap(tmp_path)
    assert Unit.objects.filter(name="兰溪镇").count() == 1


@pytest.mark.parametrize("text", ["兰溪镇", "兰溪镇：", "：上华村"])
def test_unit_lines_are_checked(text):
    with pytest.raises(BootstrapError, match="第1行"):
        parse_units(text)


@pytest.mark.django_db
def test_bad_units_file_is_a_command_error(tmp_path):
    units = tmp_path / "units.txt"
    units.write_text("兰溪镇\n", encoding="utf-8")
    with pytest.raises(CommandError, match="第1行"):
        call_command("bootstrap_county", "--county", "兰江区", "--doc-prefix", "兰民",
                     "--office-name", "兰江区民政局", "--admin", "x", "--units", str(units),
                     stdout=io.StringIO())
    assert not Unit.objects.exists()


@pytest.mark.django_db
def test_bootstrap_says_where_the_signing_keys_go(tmp_path, settings):
    """A real county: no key is made; the output names the files each issuing unit needs.
    With --demo-signing a demo CA and the county's certificate are made to try it out."""
    settings.SIGNING_DIR = tmp_path / "signing"
    settings.SIGNING_AUTO_CREATE = False
    output = _bootstrap(tmp_path)
    assert "兰江区民政局（单位代码 兰民）：未配置，该单位不能出具文书" in output
    assert str(tmp_path / "signing" / "units" / "兰民" / "key.pem") in output
    assert not (tmp_path / "signing" / "units").exists()

    output = _bootstrap(tmp_path, demo_signing=True)
    assert "兰江区民政局（单位代码 兰民）：已配置" in output
    assert (tmp_path / "signing" / "units" / "兰民" / "cert.pem").is_file()
    assert (tmp_path / "signing" / "ca" / "ca.crt").is_file()
