/* A deployed process of the county's library, read-only (bpmn-js NavigatedViewer). */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("library-config").textContent);
  var viewer = new BpmnJS({ container: "#library-canvas" });
  viewer.importXML(config.bpmn).then(function () {
    viewer.get("canvas").zoom("fit-viewport");
    document.body.dataset.libraryReady = "true";
  }).catch(function (err) {
    document.getElementById("library-canvas").textContent = "无法显示流程图：" + err.message;
  });
})();
