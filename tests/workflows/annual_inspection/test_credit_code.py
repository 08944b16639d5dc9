"""统一社会信用代码 (GB 32100-2015) check character."""
import pytest
from django.core.exceptions import ValidationError

from workflows.common.fields import credit_code_check_char, validate_credit_code


# The worked example of GB 32100-2015 and a published business licence.
@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000600037341L"])
def test_published_codes_are_valid(code):
    assert credit_code_check_char(code[:17]) == code[17]
    validate_credit_code(code)


@pytest.mark.parametrize("code, message", [
    ("91350100M000100Y44", "校验位不正确"),
    ("91350100M000100Y4", "应为18位"),
    ("91350100I000100Y43", "只能由数字和大写字母组成"),
])
def test_invalid_codes_are_refused_in_chinese(code, message):
    with pytest.raises(ValidationError, match=message):
        validate_credit_code(code)
