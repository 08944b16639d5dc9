"""Response and request shapes (for the OpenAPI schema and for output). Validation of what
a caller files or submits is the procedure's own Django form, never a serializer: the API
accepts exactly what the web form accepts."""
from rest_framework import serializers as s


class ErrorSerializer(s.Serializer):
    # The one error shape of every refusal (api.errors); no docstring: it would become the
    # schema's (English) description.

    detail = s.CharField(help_text="拒绝原因（中文）")
    errors = s.DictField(child=s.ListField(child=s.CharField()), required=False,
                         help_text="请求体、表单或查询参数未通过校验时：各字段的错误"
                                   "（`__all__` 为整张表单的错误）")


class ProcedureSerializer(s.Serializer):
    key = s.CharField(help_text="事项代码")
    name = s.CharField(help_text="事项名称")


class ProcedureDetailSerializer(ProcedureSerializer):
    application_schema = s.JSONField(help_text="申请表的 JSON Schema（与网页申请表同一校验）")


class RowSerializer(s.Serializer):
    label = s.CharField(help_text="字段名称")
    value = s.CharField(allow_blank=True, help_text="显示值（已按权限遮蔽）")
    columns = s.ListField(child=s.CharField(), help_text="列表值的列名（如家庭成员）")
    cells = s.ListField(child=s.ListField(child=s.CharField(allow_blank=True)),
                        help_text="列表值的单元格")


class HistorySerializer(s.Serializer):
    at = s.DateTimeField(help_text="时间")
    actor = s.CharField(help_text="办理人")
    action = s.CharField(help_text="操作")
    summary = s.CharField(allow_blank=True, help_text="摘要")
    rows = RowSerializer(many=True, help_text="提交的表单内容（已按权限遮蔽）")


class OpenTaskSerializer(s.Serializer):
    id = s.IntegerField(help_text="任务编号")
    title = s.CharField(help_text="环节名称")
    spec_name = s.CharField(help_text="流程图中的环节代码")
    role = s.CharField(help_text="办理角色")
    assignee = s.CharField(allow_null=True, help_text="认领人账号")
    due_at = s.DateTimeField(allow_null=True, help_text="办理时限")


class DocumentSerializer(s.Serializer):
    uuid = s.UUIDField(help_text="文书标识")
    doc_type = s.CharField(help_text="文书类型")
    title = s.CharField(help_text="文书名称")
    number = s.CharField(help_text="文号")
    issued_on = s.DateField(help_text="签发日期")
    status = s.CharField(help_text="生成状态")
    validity = s.CharField(help_text="效力状态代码")
    validity_display = s.CharField(help_text="效力状态（有效、已撤销、已作废）")


class AttachmentSerializer(s.Serializer):
    uuid = s.UUIDField(help_text="材料标识")
    field = s.CharField(help_text="上传字段")
    name = s.CharField(help_text="文件名（无权查看时隐去）")
    hidden = s.BooleanField(help_text="是否对您隐藏")


class CaseSerializer(s.Serializer):
    id = s.IntegerField(help_text="案件编号")
    procedure = s.CharField(help_text="事项代码")
    title = s.CharField(help_text="案件标题")
    status = s.CharField(help_text="状态代码")
    status_display = s.CharField(help_text="状态")
    applicant_name = s.CharField(help_text="申请人")
    village = s.CharField(help_text="村（社区）")
    created_at = s.DateTimeField(help_text="申请时间")


class CaseDetailSerializer(CaseSerializer):
    township = s.CharField(allow_blank=True, help_text="乡镇（街道）")
    completed_at = s.DateTimeField(allow_null=True, help_text="办结时间")
    application = RowSerializer(many=True, help_text="申请内容（按申请表标注，已按权限遮蔽）")
    data = s.JSONField(help_text="申请数据（机器可读，已按权限遮蔽）")
    open_tasks = OpenTaskSerializer(many=True, help_text="当前待办环节")
    history = HistorySerializer(many=True, help_text="办理记录")
    documents = DocumentSerializer(many=True, help_text="文书")
    attachments = AttachmentSerializer(many=True, help_text="材料")
    warnings = s.ListField(child=s.CharField(), help_text="给经办人员的提示")


class TaskSerializer(s.Serializer):
    id = s.IntegerField(help_text="任务编号")
    case = s.IntegerField(help_text="案件编号")
    case_title = s.CharField(help_text="案件标题")
    applicant_name = s.CharField(help_text="申请人")
    title = s.CharField(help_text="环节名称")
    spec_name = s.CharField(help_text="流程图中的环节代码")
    role = s.CharField(help_text="办理角色")
    status = s.CharField(help_text="状态")
    village = s.CharField(help_text="村（社区）")
    candidate_unit = s.CharField(allow_blank=True, help_text="候选辖区")
    assignee = s.CharField(allow_null=True, help_text="认领人账号")
    due_at = s.DateTimeField(allow_null=True, help_text="办理时限")
    created_at = s.DateTimeField(help_text="到达时间")


class TaskDetailSerializer(TaskSerializer):
    may_act = s.BooleanField(help_text="您现在能否办理")
    may_claim = s.BooleanField(help_text="能否认领")
    may_release = s.BooleanField(help_text="能否释放")
    form_schema = s.JSONField(allow_null=True,
                              help_text="办理表单的 JSON Schema（能办理时给出）")


class TaskSubmitSerializer(s.Serializer):
    """Documentation only: the body is the task form's fields (see ``form_schema``)."""

    opinion = s.CharField(required=False, help_text="示例字段；实际字段见任务的 form_schema")


class ApplicationSubmitSerializer(s.Serializer):
    """Documentation only: the body is the application form's fields."""

    applicant_name = s.CharField(required=False, help_text="申请人姓名")
    village = s.IntegerField(required=False, help_text="村（社区）编号")


class ReturnSerializer(s.Serializer):
    target = s.IntegerField(min_value=1, max_value=2**63 - 1,
                            help_text="退回到的已办环节（任务编号）")
    comment = s.CharField(max_length=2000, help_text="退回理由")


class ReturnToApplicantSerializer(s.Serializer):
    missing = s.CharField(max_length=2000, help_text="需要补正的材料")


class PersonActionSerializer(s.Serializer):
    to_user = s.CharField(max_length=150, help_text="接手人员的账号（用户名）")
    comment = s.CharField(max_length=2000, help_text="说明")


class SignerAddSerializer(s.Serializer):
    signer = s.CharField(max_length=150, help_text="加签人员的账号（用户名）")
    position = s.ChoiceField(choices=[("before", "前加签"), ("after", "后加签")],
                             help_text="before：前加签；after：后加签")
    comment = s.CharField(max_length=2000, help_text="加签说明")


class CommentSerializer(s.Serializer):
    comment = s.CharField(max_length=2000, help_text="说明")


class VerificationSerializer(s.Serializer):
    number = s.CharField(help_text="文号")
    title = s.CharField(help_text="文书名称")
    issued_on = s.DateField(help_text="签发日期")
    holder_name = s.CharField(help_text="持有人（已遮蔽）")
    holder_id = s.CharField(allow_blank=True, help_text="持有人证件号（已遮蔽）")
    office_name = s.CharField(help_text="签发机关")
    validity = s.CharField(help_text="效力状态代码")
    validity_display = s.CharField(help_text="效力状态")
    valid = s.BooleanField(help_text="是否有效")


class PdfUploadSerializer(s.Serializer):
    pdf = s.FileField(help_text="要核验的文书 PDF 文件（最大 10 MB）")


class UploadedDocumentSerializer(s.Serializer):
    number = s.CharField(help_text="文号")
    title = s.CharField(help_text="文书名称")
    issued_on = s.CharField(help_text="出具日期（中文）")
    holder_name = s.CharField(help_text="当事人（已遮蔽）")
    holder_id = s.CharField(allow_blank=True, help_text="当事人证件号（已遮蔽）")
    office_name = s.CharField(help_text="出具机关")
    status = s.CharField(help_text="效力状态（有效 / 已撤销 / 已作废）")
    valid = s.BooleanField(help_text="系统记录中是否仍然有效")


class PdfVerificationSerializer(s.Serializer):
    outcome = s.ChoiceField(
        choices=[("valid", "签名有效"), ("untrusted", "证书不受信任"),
                 ("altered", "签名后被修改"), ("unsigned", "无签名"), ("unreadable", "无法读取"),
                 ("unknown", "系统无此文书记录"), ("mismatch", "签名单位与出具机关不符")],
        help_text="核验结果")
    signature_valid = s.BooleanField(help_text="电子签名是否有效且受信任")
    document_valid = s.BooleanField(help_text="签名有效且文书在系统中仍然有效")
    message = s.CharField(help_text="核验结论")
    notes = s.ListField(child=s.CharField(), help_text="补充说明")
    signer = s.CharField(allow_blank=True, help_text="签名单位（证书中的名称）")
    signer_issuer = s.CharField(allow_blank=True, help_text="签名证书的签发机构")
    signed_at = s.CharField(allow_blank=True, help_text="签名方声明的签名时间")
    same_as_record = s.BooleanField(help_text="与系统留存的文件逐字节相同")
    document = UploadedDocumentSerializer(allow_null=True, help_text="系统中的文书记录（仅签名有效时）")


class TokenSerializer(s.Serializer):
    id = s.IntegerField(help_text="令牌编号")
    label = s.CharField(help_text="用途")
    prefix = s.CharField(help_text="令牌前缀（用于辨认）")
    user = s.CharField(help_text="服务账号")
    created_by = s.CharField(allow_null=True, help_text="签发人")
    created_at = s.DateTimeField(help_text="签发时间")
    revoked_at = s.DateTimeField(allow_null=True, help_text="撤销时间")
    last_used_at = s.DateTimeField(allow_null=True, help_text="最近使用时间")
    active = s.BooleanField(help_text="是否有效")


class TokenCreatedSerializer(TokenSerializer):
    token = s.CharField(help_text="令牌本身：只显示这一次，系统只保存其哈希")


class TokenCreateSerializer(s.Serializer):
    username = s.CharField(max_length=150, help_text="服务账号（本县持有角色的账号）")
    label = s.CharField(max_length=100, help_text="用途，如“公安户籍核查系统”")


class OutboxSerializer(s.Serializer):
    cursor = s.IntegerField(help_text="下次请求的游标（after 参数）")
    tasks = TaskSerializer(many=True, help_text="游标之后推送给您的待办任务")


class WebhookDeliverySerializer(s.Serializer):
    key = s.UUIDField(help_text="幂等键（每次尝试相同，即请求头 Idempotency-Key）")
    event = s.CharField(help_text="事件：task.offered（任务推送）")
    task = s.IntegerField(allow_null=True, help_text="任务编号")
    status = s.CharField(help_text="状态：pending 待发送、sent 已送达、failed 发送失败")
    attempts = s.IntegerField(help_text="已尝试次数")
    last_status_code = s.IntegerField(allow_null=True, help_text="最近一次接收方返回的 HTTP 状态码")
    last_error = s.CharField(allow_blank=True, help_text="最近一次失败的原因")
    created_at = s.DateTimeField(help_text="产生时间")
    sent_at = s.DateTimeField(allow_null=True, help_text="送达时间")


class WebhookSerializer(s.Serializer):
    url = s.CharField(help_text="接收通知的网址")
    active = s.BooleanField(help_text="是否启用")
    deliveries = WebhookDeliverySerializer(many=True, help_text="最近的推送（新的在前，最多 50 条）")
