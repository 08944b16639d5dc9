"""drf-spectacular postprocessing (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]): every
operation documents the refusals DRF itself may answer before the view runs, in the shared
``Error`` shape, and every path parameter is described in Chinese."""

ERROR_REF = {"$ref": "#/components/schemas/Error"}

# Refusals any operation may answer (authentication and permission run before the view).
COMMON = {"403": "未登录、令牌无效或已撤销、或无权限", "406": "不支持请求的 Accept 类型"}
WITH_INPUT = {"400": "请求有误（查询参数或请求体未通过校验，字段见 errors）"}
WITH_BODY = {"415": "不支持的请求体类型（应为 application/json 或 multipart/form-data）"}
WITH_PATH = {"404": "不存在或无权查看"}
SUCCESS = {"200": "成功", "201": "已创建"}
PATH_PARAMETERS = {
    "pk": "编号",
    "id": "编号",
    "uuid": "标识（UUID）",
    "procedure_key": "事项代码（见“可申请的审批事项”）",
}


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}


def add_error_responses(result, generator, request, public):
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            parameters = operation.get("parameters", [])
            for parameter in parameters:
                if parameter.get("in") == "path" and not parameter.get("description"):
                    parameter["description"] = PATH_PARAMETERS.get(parameter["name"], "编号")
                elif parameter.get("name") == "format" and not parameter.get("description"):
                    parameter["description"] = "响应格式（一般不填，由 Accept 请求头决定）"
            for code, response in operation["responses"].items():
                if not response.get("description"):
                    response["description"] = SUCCESS.get(code, "成功")
            wanted = dict(COMMON)
            if "security" in operation and operation["security"] in ([], [{}]):
                wanted.pop("403")  # public (verification)
            if any(p.get("in") == "query" for p in parameters) or "requestBody" in operation:
                wanted.update(WITH_INPUT)
            if "requestBody" in operation or method == "post":
                wanted.update(WITH_BODY)
            if any(p.get("in") == "path" for p in parameters):
                wanted.update(WITH_PATH)
            for code, description in wanted.items():
                operation["responses"].setdefault(code, _error(description))
            for code, response in operation["responses"].items():
                if code.startswith("4"):  # refusals are JSON, whatever the success's type
                    response["content"] = {"application/json": {"schema": ERROR_REF}}
    return result
