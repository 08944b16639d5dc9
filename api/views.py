"""API views. Each: authentication and the same access helper as the page (404 for
outsiders, 403 for the wrong role), at most one service call, a JSON answer. Logic stays in
``engine`` and ``workflows``; refusals become 400/403/404/409 in ``api.errors``."""
import json
import re

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, QueryDict
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from engine import actions
from engine.documents import mask_person_name
from engine.issuers import document_issuer_name
from engine.models import DocumentValidity, TaskStatus
from engine.notifications import configuration_error_report
from engine.selectors import (
    attachment_get_for_user,
    case_get_for_user,
    case_list_for_user,
    document_get_for_user,
    document_get_public,
    task_get_for_user,
    task_list_for_user,
    user_can_act_on_task,
)
from engine.errors import ActionRefused
from engine.services import RuntimeFailure, task_claim, task_release
from portal.errors import failure_detail
from portal.selectors import (
    county_supervised_or_403,
    filing_rights_for_user,
    procedure_of_case,
    procedure_or_404,
    task_access,
    task_form_class_for,
)
from workflows.registry import procedure_list
from workflows.services import application_form_uploads, application_submit, task_submit

from . import selectors
from . import serializers as out
from .services import api_token_create, api_token_revoke
from .webhooks import deliveries_of_hook

E400 = OpenApiResponse(out.ErrorSerializer, description="请求被拒绝（原因见 detail）")
E403 = OpenApiResponse(out.ErrorSerializer, description="未登录或无权限")
E404 = OpenApiResponse(out.ErrorSerializer, description="不存在或无权查看")
E409 = OpenApiResponse(out.ErrorSerializer, description="任务已被办理或被他人认领")
FORM400 = OpenApiResponse(out.ErrorSerializer,
                          description="表单校验未通过（各字段的错误见 errors）或请求体有误")

MAX_LIMIT = 100


class QueryInteger(serializers.IntegerField):
    """An integer query parameter: given empty (``?limit=``) it is refused, not read as
    absent, and only digits are an integer (DRF also reads "1.0") — the schema says an
    integer."""

    def get_value(self, dictionary):
        if dictionary.get(self.field_name, None) == "":
            return ""
        return super().get_value(dictionary)

    def to_internal_value(self, data):
        if not isinstance(data, int) and not re.fullmatch(r"-?[0-9]{1,20}", str(data)):
            self.fail("invalid")
        return super().to_internal_value(data)


class PageQuery(serializers.Serializer):
    limit = QueryInteger(required=False, min_value=1, max_value=MAX_LIMIT,
                         default=50, help_text="每页条数（1–100）")
    offset = QueryInteger(required=False, min_value=0, max_value=10**9, default=0,
                          help_text="跳过的条数")


class OutboxQuery(serializers.Serializer):
    after = QueryInteger(required=False, min_value=0, max_value=2**62, default=0,
                         help_text="游标：上次返回的 cursor，首次为 0")
    limit = QueryInteger(required=False, min_value=1, max_value=MAX_LIMIT,
                         default=50, help_text="最多返回条数（1–100）")


class VerifyQuery(serializers.Serializer):
    c = serializers.CharField(max_length=64, help_text="文书上印制的校验码")


def _query(serializer_class, request) -> dict:
    query = serializer_class(data=request.query_params)
    if not query.is_valid():
        raise serializers.ValidationError(query.errors)
    return query.validated_data


def _page(queryset, request, row) -> dict:
    """Offset paging without a COUNT (a county's case list is large): ``next_offset`` is
    null on the last page."""
    params = _query(PageQuery, request)
    limit, offset = params["limit"], params["offset"]
    items = list(queryset[offset:offset + limit + 1])
    return {"results": [row(item) for item in items[:limit]],
            "next_offset": offset + limit if len(items) > limit else None}


def _page_serializer(name, item):
    return serializers.Serializer.__class__(name, (serializers.Serializer,), {
        "results": item(many=True, help_text="本页结果"),
        "next_offset": serializers.IntegerField(allow_null=True,
                                                help_text="下一页的 offset；最后一页为 null"),
    })


CasePage = _page_serializer("CasePage", out.CaseSerializer)
TaskPage = _page_serializer("TaskPage", out.TaskSerializer)
PAGE_PARAMS = [PageQuery]


def form_data(request) -> QueryDict:
    """The body as a web form would post it, so the procedure's form validates an API call
    exactly as it validates the page: JSON scalars become strings, lists stay multi-valued,
    objects become JSON text."""
    if isinstance(request.data, QueryDict):
        return request.data
    if not isinstance(request.data, dict):
        raise serializers.ValidationError({"detail": "请求体应为 JSON 对象"})
    data = QueryDict(mutable=True)
    for name, value in request.data.items():
        values = value if isinstance(value, list) else [value]
        for item in values:
            if item is None:
                continue
            if isinstance(item, bool):
                item = "true" if item else "false"
            elif isinstance(item, (dict, list)):
                item = json.dumps(item, ensure_ascii=False)
            data.appendlist(str(name), str(item))
    return data


def _engine_failure(request, *, case, where: str, error: str) -> Response:
    """A diagram failed for this request: the county's supervisors get the detail, the
    caller a Chinese sentence (the library text only for staff)."""
    configuration_error_report(county=case.village.county, where=where, error=error)
    return Response(failure_detail(user=request.user, error=error),
                    status=status.HTTP_400_BAD_REQUEST)


def _form_errors(form) -> Response:
    errors = {name: [str(m) for m in messages] for name, messages in form.errors.items()}
    return Response({"detail": "表单校验未通过：" + "；".join(
        f"{form.fields[n].label if n in form.fields else '表单'}：{m[0]}"
        for n, m in errors.items()), "errors": errors}, status=status.HTTP_400_BAD_REQUEST)


# ---------------------------------------------------------------------------------------------
# Procedures and applications


class ProcedureListView(APIView):
    @extend_schema(operation_id="procedures_list", summary="可申请的审批事项", tags=["事项与申请"],
                   description="申请人本人或村（社区）协理员可见；乡镇、县级工作人员不提交申请。",
                   responses={200: out.ProcedureSerializer(many=True), 403: E403})
    def get(self, request):
        filing_rights_for_user(request.user)
        return Response(out.ProcedureSerializer(
            [{"key": p.key, "name": p.name} for p in procedure_list()
             if p.application_form is not None], many=True).data)


def _application_form(request, key, *args):
    rights = filing_rights_for_user(request.user)
    procedure = procedure_or_404(key)
    if procedure.application_form is None:
        raise Http404("该事项不接受在线申请")
    kwargs = {} if rights.villages is None else {"villages": rights.villages}
    return rights, procedure, procedure.application_form(*args, **kwargs)


class ProcedureDetailView(APIView):
    @extend_schema(summary="审批事项及其申请表", tags=["事项与申请"],
                   description="申请表的 JSON Schema：字段、必填项、可选值（村（社区）为您可代办的范围）。",
                   responses={200: out.ProcedureDetailSerializer, 403: E403, 404: E404})
    def get(self, request, procedure_key):
        _, procedure, form = _application_form(request, procedure_key)
        return Response(out.ProcedureDetailSerializer({
            "key": procedure.key, "name": procedure.name,
            "application_schema": selectors.form_json_schema(form)}).data)


class ApplicationCreateView(APIView):
    @extend_schema(summary="提交申请", tags=["事项与申请"],
                   description="请求体为申请表字段（见事项的 application_schema），与网页申请同一校验；"
                               "有上传材料时用 multipart/form-data。",
                   request={"application/json": OpenApiTypes.OBJECT,
                            "multipart/form-data": OpenApiTypes.OBJECT},
                   responses={201: out.CaseDetailSerializer, 400: FORM400, 403: E403,
                              404: E404})
    def post(self, request, procedure_key):
        rights, procedure, form = _application_form(request, procedure_key, form_data(request),
                                                    request.FILES)
        if not form.is_valid():
            return _form_errors(form)
        try:
            case = application_submit(procedure=procedure, cleaned_data=form.cleaned_data,
                                      user=request.user, on_behalf=rights.on_behalf,
                                      uploads=application_form_uploads(form))
        except (RuntimeFailure, LookupError) as exc:
            configuration_error_report(county=form.cleaned_data["village"].county,
                                       where=f"{procedure.name}申请（接口）", error=str(exc))
            return Response(failure_detail(user=request.user, error=str(exc)),
                            status=status.HTTP_400_BAD_REQUEST)
        return Response(out.CaseDetailSerializer(selectors.case_detail(request.user, case)).data,
                        status=status.HTTP_201_CREATED)


# ---------------------------------------------------------------------------------------------
# Cases


class CaseListView(APIView):
    @extend_schema(operation_id="cases_list", summary="我能查看的案件", tags=["案件"], parameters=PAGE_PARAMS,
                   description="与网页同一范围：申请人本人的案件、辖区内本事项角色的案件、"
                               "办理过或被推送过任务的案件。新案件在前。",
                   responses={200: CasePage, 400: E400, 403: E403})
    def get(self, request):
        cases = case_list_for_user(user=request.user).defer("state", "data").order_by(
            "-created_at", "-pk")
        return Response(CasePage(_page(cases, request, selectors.case_summary)).data)


class CaseDetailView(APIView):
    @extend_schema(summary="案件详情", tags=["案件"],
                   description="状态、当前待办环节、办理记录、文书与材料；敏感信息按权限遮蔽，"
                               "只通过任务看到案件的部门只看到其任务所需的内容。",
                   responses={200: out.CaseDetailSerializer, 403: E403, 404: E404})
    def get(self, request, pk):
        case = case_get_for_user(request.user, pk)
        return Response(out.CaseDetailSerializer(selectors.case_detail(request.user, case)).data)


# ---------------------------------------------------------------------------------------------
# Tasks


class TaskListView(APIView):
    @extend_schema(operation_id="tasks_list", summary="我的待办", tags=["任务"], parameters=PAGE_PARAMS,
                   description="推送给您（或您代理的人）且未被他人认领的任务，以及您认领的任务。",
                   responses={200: TaskPage, 400: E400, 403: E403})
    def get(self, request):
        tasks = task_list_for_user(user=request.user).order_by("due_at", "created_at", "pk")
        return Response(TaskPage(_page(tasks, request, selectors.task_summary)).data)


class OutboxView(APIView):
    @extend_schema(summary="新推送的任务（游标）", tags=["任务"],
                   parameters=[OutboxQuery],
                   description="不便接收 Webhook 的部门系统定时以上次的 cursor 请求，得到此后推送给它的"
                               "待办任务（仍待办的；期间已被办理的不再返回）。",
                   responses={200: out.OutboxSerializer, 400: E400, 403: E403})
    def get(self, request):
        params = _query(OutboxQuery, request)
        tasks = list(task_list_for_user(user=request.user).filter(pk__gt=params["after"])
                     .order_by("pk")[:params["limit"]])
        return Response(out.OutboxSerializer({
            "cursor": tasks[-1].pk if tasks else params["after"],
            "tasks": [selectors.task_summary(t) for t in tasks]}).data)


class TaskDetailView(APIView):
    @extend_schema(summary="任务详情", tags=["任务"],
                   description="能办理时给出办理表单的 JSON Schema。",
                   responses={200: out.TaskDetailSerializer, 403: E403, 404: E404})
    def get(self, request, pk):
        task = task_get_for_user(request.user, pk)
        return Response(out.TaskDetailSerializer(selectors.task_detail(request.user, task)).data)


class TaskClaimView(APIView):
    @extend_schema(summary="认领任务", tags=["任务"], request=None,
                   responses={200: out.TaskDetailSerializer, 403: E403, 404: E404, 409: E409})
    def post(self, request, pk):
        task = task_get_for_user(request.user, pk)
        task = task_claim(user=request.user, task_pk=task.pk)
        return Response(out.TaskDetailSerializer(selectors.task_detail(request.user, task)).data)


class TaskReleaseView(APIView):
    @extend_schema(summary="释放任务", tags=["任务"], request=None,
                   responses={200: out.TaskDetailSerializer, 403: E403, 404: E404, 409: E409})
    def post(self, request, pk):
        task = task_get_for_user(request.user, pk)
        task = task_release(user=request.user, task_pk=task.pk)
        return Response(out.TaskDetailSerializer(selectors.task_detail(request.user, task)).data)


class TaskCompleteView(APIView):
    @extend_schema(summary="办理（提交任务表单）", tags=["任务"],
                   description="请求体为任务表单字段（见任务的 form_schema），与网页同一校验与规则。",
                   request={"application/json": OpenApiTypes.OBJECT,
                            "multipart/form-data": OpenApiTypes.OBJECT},
                   responses={200: out.TaskSerializer, 400: FORM400, 403: E403, 404: E404,
                              409: E409})
    def post(self, request, pk):
        task = task_get_for_user(request.user, pk)
        if not task_access(request.user, task).allowed:
            raise PermissionDenied("您没有办理该任务的权限")
        if task.status != TaskStatus.OPEN:
            return Response({"detail": "该任务已被办理"}, status=status.HTTP_409_CONFLICT)
        case = task.case
        try:
            form_class = task_form_class_for(procedure_of_case(case), task)
        except LookupError as exc:  # a deployed step without a form (validation refuses it now)
            return _engine_failure(request, case=case, where=f"{case.title}·{task.title}（接口）",
                                   error=str(exc))
        form = form_class(form_data(request), request.FILES,
                          case_data={**case.data, **task.task_data})
        if not form.is_valid():
            return _form_errors(form)
        try:
            task = task_submit(task=task, form=form, user=request.user)
        except RuntimeFailure as exc:
            return _engine_failure(request, case=case, where=f"{case.title}·{task.title}（接口）",
                                   error=str(exc))
        return Response(out.TaskSerializer(selectors.task_summary(task)).data)


class TaskReturnView(APIView):
    @extend_schema(summary="退回到已办环节", tags=["任务"], request=out.ReturnSerializer,
                   responses={200: out.TaskSerializer, 400: E400, 403: E403, 404: E404,
                              409: E409})
    def post(self, request, pk):
        task = task_get_for_user(request.user, pk)
        body = out.ReturnSerializer(data=form_data(request))
        if not body.is_valid():
            raise serializers.ValidationError(body.errors)
        task = actions.task_return(user=request.user, task_pk=task.pk,
                                   target_pk=body.validated_data["target"],
                                   comment=body.validated_data["comment"])
        return Response(out.TaskSerializer(selectors.task_summary(task)).data)


def _body(serializer_class, request) -> dict:
    body = serializer_class(data=form_data(request))
    if not body.is_valid():
        raise serializers.ValidationError(body.errors)
    return body.validated_data


def _acting_task_or_403(request, pk):
    """The task (404 for who may not see its case), and 403 unless the user may act on it —
    before any other lookup, so a refused caller learns nothing (e.g. which accounts
    exist)."""
    task = task_get_for_user(request.user, pk)
    if not user_can_act_on_task(request.user, task):
        raise PermissionDenied("无权办理该任务")
    return task


def _colleague(username: str, refusal: str):
    """An active account by username; the service then checks it may take the task."""
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ActionRefused(refusal)
    return user


ACTION_ERRORS = {400: E400, 403: E403, 404: E404, 409: E409}


class TaskReturnToApplicantView(APIView):
    @extend_schema(summary="退回申请人补正材料", tags=["任务"], request=out.ReturnToApplicantSerializer,
                   description="与网页“退回补正”同一规则：案件回到申请人（或代办的村（社区）），"
                               "补正后回到本环节。",
                   responses={200: out.TaskSerializer, **ACTION_ERRORS})
    def post(self, request, pk):
        task = _acting_task_or_403(request, pk)
        body = _body(out.ReturnToApplicantSerializer, request)
        task = actions.task_return_to_applicant(user=request.user, task_pk=task.pk,
                                                missing=body["missing"])
        return Response(out.TaskSerializer(selectors.task_summary(task)).data)


class TaskTransferView(APIView):
    @extend_schema(summary="转办", tags=["任务"], request=out.PersonActionSerializer,
                   description="把任务交给本辖区具有相同角色的其他人员办理（转办后由对方办理）。",
                   responses={200: out.TaskSerializer, **ACTION_ERRORS})
    def post(self, request, pk):
        task = _acting_task_or_403(request, pk)
        body = _body(out.PersonActionSerializer, request)
        task = actions.task_transfer(
            user=request.user, task_pk=task.pk, comment=body["comment"],
            to_user=_colleague(body["to_user"], "只能转办给本辖区具有相同角色的其他人员"))
        return Response(out.TaskSerializer(selectors.task_summary(task)).data)


class TaskDelegateView(APIView):
    @extend_schema(summary="委派", tags=["任务"], request=out.PersonActionSerializer,
                   description="请本辖区的工作人员代为办理；对方办理后交回您确认（仍由您决定）。",
                   responses={200: out.TaskSerializer, **ACTION_ERRORS})
    def post(self, request, pk):
        task = _acting_task_or_403(request, pk)
        body = _body(out.PersonActionSerializer, request)
        task = actions.task_delegate(
            user=request.user, task_pk=task.pk, comment=body["comment"],
            to_user=_colleague(body["to_user"], "只能委派给本辖区的工作人员"))
        return Response(out.TaskSerializer(selectors.task_summary(task)).data)


class TaskSignerAddView(APIView):
    @extend_schema(summary="加签", tags=["任务"], request=out.SignerAddSerializer,
                   description="前加签：加签人签署后您才能办结本环节；后加签：您办理后还须加签人签署，"
                               "案件才继续。返回加签人的签署任务。",
                   responses={201: out.TaskSerializer, **ACTION_ERRORS})
    def post(self, request, pk):
        task = _acting_task_or_403(request, pk)
        body = _body(out.SignerAddSerializer, request)
        co_sign = actions.signer_add(
            user=request.user, task_pk=task.pk, position=body["position"],
            comment=body["comment"],
            signer=_colleague(body["signer"], "只能加签本辖区的其他工作人员"))
        return Response(out.TaskSerializer(selectors.task_summary(co_sign)).data,
                        status=status.HTTP_201_CREATED)


class TaskSignerRemoveView(APIView):
    @extend_schema(summary="减签", tags=["任务"], request=out.CommentSerializer,
                   description="对尚未签署的签署任务（加签，或会签、或签、票签中的一人）减签："
                               "加签由发起人或本环节办理人减签；会签由同一环节的其他签署人或县级主管减签。",
                   responses={200: out.TaskSerializer, **ACTION_ERRORS})
    def post(self, request, pk):
        co_sign = task_get_for_user(request.user, pk)
        body = _body(out.CommentSerializer, request)
        co_sign = actions.signer_remove(user=request.user, co_sign_pk=co_sign.pk,
                                        comment=body["comment"])
        co_sign.refresh_from_db()
        return Response(out.TaskSerializer(selectors.task_summary(co_sign)).data)


# ---------------------------------------------------------------------------------------------
# Documents


class PDFRenderer(BaseRenderer):
    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return json.dumps(data, ensure_ascii=False).encode("utf-8")  # an error's detail


class DocumentDetailView(APIView):
    @extend_schema(summary="文书信息", tags=["文书"],
                   responses={200: out.DocumentSerializer, 403: E403, 404: E404})
    def get(self, request, uuid):
        document = document_get_for_user(request.user, uuid)
        return Response(out.DocumentSerializer(selectors.document_summary(document)).data)


class BinaryView(APIView):
    # A download: the file on success; a refusal is JSON whatever the Accept header asked
    # (the schema documents refusals as application/json only). No docstring: it would be
    # the (English) description of the subclasses' operations.

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if isinstance(response, Response) and response.status_code >= 400:
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = "application/json"
        return response


class DocumentPdfView(BinaryView):
    renderer_classes = [JSONRenderer, PDFRenderer]

    @extend_schema(summary="下载文书 PDF", tags=["文书"],
                   description="能查看案件的人可以下载其文书；总是作为附件下载。",
                   responses={(200, "application/pdf"): OpenApiTypes.BINARY,
                              403: E403, 404: E404})
    def get(self, request, uuid):
        document = document_get_for_user(request.user, uuid)
        if document.pdf is None:
            raise Http404("文书尚未生成")
        response = HttpResponse(bytes(document.pdf), content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(
            True, f"{document.title}.pdf")
        response["Cache-Control"] = "private, no-store"
        return response


# ---------------------------------------------------------------------------------------------
# Attachments


class BinaryRenderer(BaseRenderer):
    """Uploaded files of any type: the view answers an ``HttpResponse`` itself; errors are
    JSON (``application/json`` is listed first in ``renderer_classes``)."""

    media_type = "application/octet-stream"
    format = "bin"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return json.dumps(data, ensure_ascii=False).encode("utf-8")


class AttachmentDownloadView(BinaryView):
    renderer_classes = [JSONRenderer, BinaryRenderer]

    @extend_schema(summary="下载申请材料", tags=["案件"],
                   description="与网页同一规则：能查看案件的人才能下载；标为敏感（银行账户、保密材料）的材料"
                               "只给申请人本人和办理或办理过决定环节的人员，其他人为 403。总是作为附件下载。",
                   responses={(200, "application/octet-stream"): OpenApiResponse(
                       OpenApiTypes.BINARY, description="文件内容（Content-Type 为上传时识别的类型）"),
                       403: E403, 404: E404})
    def get(self, request, uuid):
        attachment = attachment_get_for_user(request.user, uuid)
        response = HttpResponse(bytes(attachment.content), content_type=attachment.content_type)
        response["Content-Disposition"] = content_disposition_header(True, attachment.name)
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class DocumentVerifyView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(summary="核验文书（公开）", tags=["文书"], parameters=[VerifyQuery],
                   auth=[],
                   description="无需登录：凭文书上的校验码查询文号、签发机关与当前效力；"
                               "个人信息已遮蔽。校验码不符时为 404。",
                   responses={200: out.VerificationSerializer, 400: E400, 404: E404})
    def get(self, request, uuid):
        document = document_get_public(uuid, _query(VerifyQuery, request)["c"].strip().upper())
        response = Response(out.VerificationSerializer({
            "number": document.number, "title": document.title,
            "issued_on": document.issued_on,
            "holder_name": mask_person_name(document.holder_name),
            "holder_id": document.holder_id_masked,
            "office_name": document_issuer_name(document),
            "validity": document.validity, "validity_display": document.get_validity_display(),
            "valid": document.validity == DocumentValidity.VALID}).data)
        response["X-Robots-Tag"] = "noindex, nofollow"
        response["Referrer-Policy"] = "no-referrer"
        return response


class DocumentUploadVerifyView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = [MultiPartParser]

    @extend_schema(summary="上传 PDF 核验电子签名（公开）", tags=["文书"], auth=[],
                   request={"multipart/form-data": out.PdfUploadSerializer},
                   description="无需登录：上传文书 PDF（字段 pdf），返回电子签名是否有效（文件未被修改、"
                               "证书由本系统认可的证书机构签发）、签名单位，以及文书在系统中是否仍然有效。"
                               "文件不是 PDF 或过大时为 400。",
                   responses={200: out.PdfVerificationSerializer, 400: E400})
    def post(self, request):
        from engine.signing import pdf_verify
        from portal.verification import PdfUploadForm, verification_view_context

        form = PdfUploadForm(data={}, files=request.FILES)
        if not form.is_valid():
            return Response({"detail": "；".join(form.errors["pdf"])},
                            status=status.HTTP_400_BAD_REQUEST)
        result = verification_view_context(pdf_verify(form.cleaned_data["pdf"]))
        response = Response(out.PdfVerificationSerializer(
            {**result, "document": result["document"] or None}).data)
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response


# ---------------------------------------------------------------------------------------------
# The calling system's own webhook


class OwnWebhookView(APIView):
    @extend_schema(operation_id="webhook_own", summary="本系统的 Webhook 与推送记录", tags=["任务"],
                   description="以接口令牌调用：该令牌登记的 Webhook（由县民政局主管人员在网页上设置）"
                               "及最近的推送、每次的结果与失败原因。未设置或以登录会话调用时为 404。",
                   responses={200: out.WebhookSerializer, 403: E403, 404: E404})
    def get(self, request):
        from .models import ApiToken, Webhook

        token = request.auth if isinstance(request.auth, ApiToken) else None
        hook = Webhook.objects.filter(token=token).first() if token is not None else None
        if hook is None:
            raise Http404("该令牌未设置 Webhook")
        deliveries = [{"key": d.key, "event": d.event, "task": d.task_id, "status": d.status,
                       "attempts": d.attempts, "last_status_code": d.last_status_code,
                       "last_error": d.last_error, "created_at": d.created_at,
                       "sent_at": d.sent_at} for d in deliveries_of_hook(hook, limit=50)]
        return Response(out.WebhookSerializer({"url": hook.url, "active": hook.active,
                                               "deliveries": deliveries}).data)


# ---------------------------------------------------------------------------------------------
# API tokens (county supervisors)


class TokenListView(APIView):
    @extend_schema(operation_id="tokens_list", summary="本县的接口令牌", tags=["接口令牌"],
                   description="仅县民政局主管人员：本县服务账号的令牌（只显示前缀）。",
                   responses={200: out.TokenSerializer(many=True), 403: E403})
    def get(self, request):
        county = county_supervised_or_403(request.user)
        return Response(out.TokenSerializer(
            [selectors.token_row(t) for t in selectors.tokens_of_county(county)],
            many=True).data)

    @extend_schema(summary="签发接口令牌", tags=["接口令牌"], request=out.TokenCreateSerializer,
                   description="为本县持有角色的服务账号（如公安部门系统）签发令牌；令牌只在此返回一次。",
                   responses={201: out.TokenCreatedSerializer, 400: E400, 403: E403})
    def post(self, request):
        county = county_supervised_or_403(request.user)
        body = out.TokenCreateSerializer(data=form_data(request))
        if not body.is_valid():
            raise serializers.ValidationError(body.errors)
        user = get_user_model().objects.filter(
            username=body.validated_data["username"]).first()
        if user is None:
            return Response({"detail": "账号不存在"}, status=status.HTTP_400_BAD_REQUEST)
        token, raw = api_token_create(user=user, label=body.validated_data["label"],
                                      created_by=request.user, county=county)
        return Response(out.TokenCreatedSerializer({**selectors.token_row(token), "token": raw})
                        .data, status=status.HTTP_201_CREATED)


class TokenRevokeView(APIView):
    @extend_schema(summary="撤销接口令牌", tags=["接口令牌"], request=None,
                   responses={200: out.TokenSerializer, 403: E403, 404: E404})
    def post(self, request, pk):
        county = county_supervised_or_403(request.user)
        token = api_token_revoke(token_pk=pk, revoked_by=request.user, county=county)
        return Response(out.TokenSerializer(selectors.token_row(token)).data)
