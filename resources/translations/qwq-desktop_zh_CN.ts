<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>Acquire</name>
    <message>
        <source>No {quant} in the catalog. Known: {known}.</source>
        <translation>目录中没有 {quant}。可选：{known}。</translation>
    </message>
    <message>
        <source>Name a quant (e.g. q4_k_m), or both --repo and --file.</source>
        <translation>请指定一个量化（例如 q4_k_m），或同时指定 --repo 和 --file。</translation>
    </message>
    <message>
        <source>{file} is not a GGUF file: QwQ Desktop runs .gguf models.</source>
        <translation>{file} 不是 GGUF 文件：QwQ 桌面版运行的是 .gguf 模型。</translation>
    </message>
    <message>
        <source>{repo} is not mirrored on ModelScope; choose Hugging Face or a Hub mirror.</source>
        <translation>魔搭 ModelScope 上没有 {repo} 的镜像；请选择 Hugging Face 或其镜像站。</translation>
    </message>
</context>
<context>
    <name>ApiServerControl</name>
    <message>
        <source>Serve the loaded model as an OpenAI-compatible API on this machine (127.0.0.1)</source>
        <translation>在本机（127.0.0.1）以 OpenAI 兼容 API 提供已加载的模型</translation>
    </message>
    <message>
        <source>API: off</source>
        <translation>API：关</translation>
    </message>
    <message>
        <source>API: restarting after the load…</source>
        <translation>API：加载后重启中…</translation>
    </message>
    <message>
        <source>API: starting…</source>
        <translation>API：启动中…</translation>
    </message>
    <message>
        <source>API: {url}</source>
        <translation>API：{url}</translation>
    </message>
</context>
<context>
    <name>App</name>
    <message>
        <source>damaged</source>
        <translation>已损坏</translation>
    </message>
    <message>
        <source>foreign</source>
        <translation>不属于本应用</translation>
    </message>
    <message>
        <source>The conversation database was {reason}. It was kept as {backup} and a new one was started.</source>
        <translation>对话数据库{reason}。原文件已保留为 {backup}，并已新建一个数据库。</translation>
    </message>
</context>
<context>
    <name>AssistantMessage</name>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Copy answer</source>
        <translation>复制回答</translation>
    </message>
    <message>
        <source>Copy with reasoning</source>
        <translation>连同思考过程复制</translation>
    </message>
    <message>
        <source>Copy answer with reasoning</source>
        <translation>连同思考过程复制回答</translation>
    </message>
    <message>
        <source>Regenerate</source>
        <translation>重新生成</translation>
    </message>
    <message>
        <source>Regenerate answer</source>
        <translation>重新生成回答</translation>
    </message>
    <message>
        <source>Write this answer again (the old one stays: Previous version)</source>
        <translation>重新写这个回答（旧回答会保留：见“上一个版本”）</translation>
    </message>
    <message>
        <source>Regenerate with presence penalty {penalty:g}</source>
        <translation>以存在惩罚 {penalty:g} 重新生成</translation>
    </message>
    <message>
        <source>The QwQ-32B model card: a presence penalty between 0 and 2 reduces endless repetitions. For every reply: Settings → Presence penalty.</source>
        <translation>QwQ-32B 模型卡：0 到 2 之间的存在惩罚可减少无休止的重复。要对所有回复生效：设置 → 存在惩罚。</translation>
    </message>
    <message>
        <source>Continue thinking</source>
        <translation>继续思考</translation>
    </message>
    <message>
        <source>Continue answer</source>
        <translation>继续回答</translation>
    </message>
    <message>
        <source>Steer…</source>
        <translation>引导…</translation>
    </message>
    <message>
        <source>Steer</source>
        <translation>引导</translation>
    </message>
    <message>
        <source>Let QwQ think on from where its trace stopped</source>
        <translation>让 QwQ 从思考中断处接着思考</translation>
    </message>
    <message>
        <source>Let QwQ write on from where its answer stopped</source>
        <translation>让 QwQ 从回答中断处接着写</translation>
    </message>
    <message>
        <source>Add a hint to the trace, then let QwQ think on with it</source>
        <translation>在思考过程中加入一条提示，让 QwQ 带着它继续思考</translation>
    </message>
    <message>
        <source>Interrupted: the app stopped while this reply was being written.</source>
        <translation>已中断：应用在写这条回复时停止了。</translation>
    </message>
    <message>
        <source>Sources:</source>
        <translation>来源：</translation>
    </message>
    <message>
        <source>QwQ cites this, but it was not among the sources it was given</source>
        <translation>QwQ 引用了它，但它不在提供给 QwQ 的来源之中</translation>
    </message>
    <message>
        <source>Read the cited passage beside the answer</source>
        <translation>在回答旁阅读被引用的段落</translation>
    </message>
    <message>
        <source>QwQ is thinking</source>
        <translation>QwQ 正在思考</translation>
    </message>
</context>
<context>
    <name>AttachmentChip</name>
    <message>
        <source>Reading…</source>
        <translation>读取中…</translation>
    </message>
    <message>
        <source>Remove {name}</source>
        <translation>移除 {name}</translation>
    </message>
    <message>
        <source>Reading… {percent} %</source>
        <translation>读取中… {percent}%</translation>
    </message>
    <message>
        <source>{size} · {tokens:,} tokens</source>
        <translation>{size} · {tokens:,} 词元</translation>
    </message>
</context>
<context>
    <name>AttachmentsBar</name>
    <message>
        <source>Search them instead</source>
        <translation>改为搜索它们</translation>
    </message>
    <message>
        <source>Index these files on this machine as a collection of their own: QwQ then searches them and cites the passages it uses</source>
        <translation>在本机把这些文件索引为一个单独的文档集：QwQ 会搜索它们，并注明所用段落的出处</translation>
    </message>
    <message>
        <source>Wait until the files are read.</source>
        <translation>请等文件读取完成。</translation>
    </message>
    <message>
        <source>Remove the files that cannot be read.</source>
        <translation>请移除无法读取的文件。</translation>
    </message>
    <message>
        <source>These files need {tokens:,} tokens and the context leaves {room:,} for the message: remove some, search them instead, or load the model with a longer context.</source>
        <translation>这些文件需要 {tokens:,} 个词元，而上下文只能为消息留出 {room:,} 个：请移除一些、改为搜索它们，或以更长的上下文加载模型。</translation>
    </message>
    <message>
        <source>{tokens:,} of {room:,} tokens</source>
        <translation>{tokens:,} / {room:,} 词元</translation>
    </message>
    <message>
        <source>{tokens:,} tokens</source>
        <translation>{tokens:,} 词元</translation>
    </message>
</context>
<context>
    <name>Backup</name>
    <message>
        <source>There is no backup called {name} in {folder} (see qwq-desktop backups).</source>
        <translation>{folder} 中没有名为 {name} 的备份（参见 qwq-desktop backups）。</translation>
    </message>
    <message>
        <source>Cannot write a backup in {folder}: {error}</source>
        <translation>无法在 {folder} 中写入备份：{error}</translation>
    </message>
    <message>
        <source>The backup did not pass SQLite&apos;s check; it was not kept.</source>
        <translation>备份未通过 SQLite 的检查，已丢弃。</translation>
    </message>
    <message>
        <source>the disk is full.</source>
        <translation>磁盘已满。</translation>
    </message>
    <message>
        <source>Could not back up the conversations to {folder}: {why}</source>
        <translation>无法把对话备份到 {folder}：{why}</translation>
    </message>
    <message>
        <source>There is no conversation database at {path} to back up.</source>
        <translation>{path} 处没有可备份的对话数据库。</translation>
    </message>
    <message>
        <source>Cannot read the conversation database {path}: {error}</source>
        <translation>无法读取对话数据库 {path}：{error}</translation>
    </message>
    <message>
        <source>Cannot read the backup {name}: {error}</source>
        <translation>无法读取备份 {name}：{error}</translation>
    </message>
    <message>
        <source>{name} is not a SQLite database; nothing was restored.</source>
        <translation>{name} 不是 SQLite 数据库；未恢复任何内容。</translation>
    </message>
    <message>
        <source>{name} is not a QwQ Desktop database; nothing was restored.</source>
        <translation>{name} 不是 QwQ 桌面版的数据库；未恢复任何内容。</translation>
    </message>
    <message>
        <source>{name} was written by a newer QwQ Desktop; update the app to restore it.</source>
        <translation>{name} 由更新版本的 QwQ 桌面版写入；请先更新应用再恢复。</translation>
    </message>
    <message>
        <source>{name} is damaged; nothing was restored.</source>
        <translation>{name} 已损坏；未恢复任何内容。</translation>
    </message>
    <message>
        <source>{name} cannot be read ({error}); nothing was restored.</source>
        <translation>无法读取 {name}（{error}）；未恢复任何内容。</translation>
    </message>
</context>
<context>
    <name>BackupTimer</name>
    <message>
        <source>Backup failed: {error}</source>
        <translation>备份失败：{error}</translation>
    </message>
</context>
<context>
    <name>BackupsBox</name>
    <message>
        <source>daily</source>
        <translation>每日</translation>
    </message>
    <message>
        <source>made by you</source>
        <translation>手动</translation>
    </message>
    <message>
        <source>before a restore</source>
        <translation>恢复前</translation>
    </message>
    <message>
        <source>Backups (daily; the newest {keep} of each kind are kept)</source>
        <translation>备份（每日一次；每类保留最新 {keep} 份）</translation>
    </message>
    <message>
        <source>Backups</source>
        <translation>备份</translation>
    </message>
    <message>
        <source>Back up now</source>
        <translation>立即备份</translation>
    </message>
    <message>
        <source>Restore…</source>
        <translation>恢复…</translation>
    </message>
    <message>
        <source>No backups yet; they are kept in {folder}.</source>
        <translation>还没有备份；备份保存在 {folder}。</translation>
    </message>
    <message>
        <source>Failed: {error}</source>
        <translation>失败：{error}</translation>
    </message>
    <message>
        <source>Backing up…</source>
        <translation>正在备份…</translation>
    </message>
    <message>
        <source>Backed up to {name}.</source>
        <translation>已备份到 {name}。</translation>
    </message>
    <message>
        <source>A reply is being written: stop it or let it finish, then restore.</source>
        <translation>正在生成回复：请先停止或等它完成，再恢复。</translation>
    </message>
    <message>
        <source>Restore a backup</source>
        <translation>恢复备份</translation>
    </message>
    <message>
        <source>Replace every conversation with those in the backup of {backup}?

The current conversations are kept as a backup of their own first, so this can be undone.</source>
        <translation>用 {backup} 的备份替换所有对话吗？

当前的对话会先另存为一份备份，因此可以撤销。</translation>
    </message>
    <message>
        <source>Restore</source>
        <translation>恢复</translation>
    </message>
    <message>
        <source>Restoring…</source>
        <translation>正在恢复…</translation>
    </message>
    <message>
        <source>Restored. The conversations shown are now those of the backup; the ones they replaced are kept as {name}.</source>
        <translation>已恢复。现在显示的是备份中的对话；被替换的对话已保留为 {name}。</translation>
    </message>
</context>
<context>
    <name>BudgetPicker</name>
    <message>
        <source>How many tokens QwQ may think before it is asked to answer from its thinking (1K = 1,024)</source>
        <translation>QwQ 最多可用多少词元思考，之后会被要求根据已有思考作答（1K = 1,024）</translation>
    </message>
    <message>
        <source>How long QwQ may think before it is asked to answer (for slow machines)</source>
        <translation>QwQ 最多可思考多久，之后会被要求作答（适合较慢的机器）</translation>
    </message>
    <message>
        <source>no limit</source>
        <translation>不限</translation>
    </message>
    <message>
        <source>{k}K tokens</source>
        <translation>{k}K 词元</translation>
    </message>
    <message>
        <source>{n:,} tokens</source>
        <translation>{n:,} 词元</translation>
    </message>
    <message>
        <source>{s:g} s</source>
        <translation>{s:g} 秒</translation>
    </message>
    <message>
        <source>{m:g} min</source>
        <translation>{m:g} 分钟</translation>
    </message>
    <message>
        <source>Thinking budget in tokens</source>
        <translation>思考预算（词元）</translation>
    </message>
    <message>
        <source>Thinking time limit</source>
        <translation>思考时间上限</translation>
    </message>
    <message>
        <source>Thinking: {budget}</source>
        <translation>思考：{budget}</translation>
    </message>
    <message>
        <source>Time: {budget}</source>
        <translation>时间：{budget}</translation>
    </message>
    <message>
        <source>Thinking budget</source>
        <translation>思考预算</translation>
    </message>
    <message>
        <source>Thinking tokens at most (1K = 1,024):</source>
        <translation>最多思考词元数（1K = 1,024）：</translation>
    </message>
    <message>
        <source>Thinking time</source>
        <translation>思考时间</translation>
    </message>
    <message>
        <source>Minutes of thinking at most:</source>
        <translation>最多思考分钟数：</translation>
    </message>
    <message>
        <source>Custom…</source>
        <translation>自定义…</translation>
    </message>
</context>
<context>
    <name>Catalog</name>
    <message>
        <source>, about {speed:.0f} tokens/s</source>
        <translation>，约每秒 {speed:.0f} 词元</translation>
    </message>
    <message>
        <source>{quant} is the best quality that fits entirely in unified memory{speed}.</source>
        <translation>{quant} 是能完全放入统一内存的最高质量量化{speed}。</translation>
    </message>
    <message>
        <source>{quant} is the best quality that fits entirely on the GPU{speed}.</source>
        <translation>{quant} 是能完全放入 GPU 的最高质量量化{speed}。</translation>
    </message>
    <message>
        <source>{quant}: {gpu} of {all} layers fit on the GPU and the rest runs from RAM{speed}.</source>
        <translation>{quant}：{all} 层中有 {gpu} 层放在 GPU 上，其余在内存中运行{speed}。</translation>
    </message>
    <message>
        <source>{quant} runs on the CPU from RAM{speed}; a GPU would be much faster.</source>
        <translation>{quant} 在 CPU 上从内存运行{speed}；有 GPU 会快得多。</translation>
    </message>
</context>
<context>
    <name>ChatEngine</name>
    <message>
        <source>The conversation must end with a user message.</source>
        <translation>对话必须以用户消息结尾。</translation>
    </message>
    <message>
        <source>The prompt is empty.</source>
        <translation>消息为空。</translation>
    </message>
    <message>
        <source>Tool results must follow an answer that called tools.</source>
        <translation>工具结果必须跟在调用了工具的回答之后。</translation>
    </message>
</context>
<context>
    <name>ChatSession</name>
    <message>
        <source>Found in {names}</source>
        <translation>在 {names} 中找到</translation>
    </message>
    <message>
        <source>The prompt is empty.</source>
        <translation>消息为空。</translation>
    </message>
    <message>
        <source>Only an answer can be regenerated.</source>
        <translation>只有回答可以重新生成。</translation>
    </message>
    <message>
        <source>Only your own messages can be edited.</source>
        <translation>只能编辑你自己的消息。</translation>
    </message>
    <message>
        <source>This reply cannot be continued that way.</source>
        <translation>这条回复不能以这种方式继续。</translation>
    </message>
    <message>
        <source>A hint goes into the trace: continue thinking to steer.</source>
        <translation>提示会写入思考过程：请用“继续思考”来引导。</translation>
    </message>
    <message>
        <source>Only an answer can be continued.</source>
        <translation>只有回答可以继续。</translation>
    </message>
</context>
<context>
    <name>ChatTemplate</name>
    <message>
        <source>The model&apos;s chat template is too long: {error}</source>
        <translation>模型的对话模板过长：{error}</translation>
    </message>
    <message>
        <source>The model&apos;s chat template was stopped: {error}</source>
        <translation>模型的对话模板被中止：{error}</translation>
    </message>
    <message>
        <source>The model&apos;s chat template has a syntax error on line {line}: {error}</source>
        <translation>模型的对话模板第 {line} 行有语法错误：{error}</translation>
    </message>
    <message>
        <source>The model&apos;s chat template recursed too deeply</source>
        <translation>模型的对话模板递归过深</translation>
    </message>
    <message>
        <source>The model&apos;s chat template ran out of memory</source>
        <translation>模型的对话模板耗尽了内存</translation>
    </message>
    <message>
        <source>The model&apos;s chat template failed: {error}</source>
        <translation>模型的对话模板出错：{error}</translation>
    </message>
    <message>
        <source>The model&apos;s chat template failed: {kind}: {error}</source>
        <translation>模型的对话模板出错：{kind}：{error}</translation>
    </message>
    <message>
        <source>The model file holds {count:,} chat templates (at most {limit}).</source>
        <translation>模型文件含有 {count:,} 个对话模板（最多 {limit} 个）。</translation>
    </message>
    <message>
        <source>The model&apos;s chat template ({key}) is not text.</source>
        <translation>模型的对话模板（{key}）不是文本。</translation>
    </message>
</context>
<context>
    <name>ChatView</name>
    <message>
        <source>QwQ kept writing the same passage over and over, so the reply was stopped. A presence penalty makes that rarer.</source>
        <translation>QwQ 反复写同一段内容，因此回复已停止。设置存在惩罚可以减少这种情况。</translation>
    </message>
    <message>
        <source>QwQ&apos;s thinking went round in circles, so the app closed it and asked for the answer. A presence penalty makes that rarer.</source>
        <translation>QwQ 的思考陷入了循环，因此应用结束了思考并要求它作答。设置存在惩罚可以减少这种情况。</translation>
    </message>
    <message>
        <source>⚠ Damaged: part of this message&apos;s stored data is unreadable ({damaged}).</source>
        <translation>⚠ 已损坏：这条消息保存的部分数据无法读取（{damaged}）。</translation>
    </message>
    <message>
        <source>{tokens:,} tokens · {speed:.1f} tok/s</source>
        <translation>{tokens:,} 词元 · {speed:.1f} tok/s</translation>
    </message>
    <message>
        <source>{sentence}.</source>
        <translation>{sentence}。</translation>
    </message>
    <message>
        <source>Conversation</source>
        <translation>对话内容</translation>
    </message>
</context>
<context>
    <name>CodeBlockView</name>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Copy code</source>
        <translation>复制代码</translation>
    </message>
    <message>
        <source>Code</source>
        <translation>代码</translation>
    </message>
    <message>
        <source>code</source>
        <translation>代码</translation>
    </message>
    <message>
        <source>Code ({0})</source>
        <translation>代码（{0}）</translation>
    </message>
</context>
<context>
    <name>Collections</name>
    <message>
        <source>There is no collection named “{name}”.</source>
        <translation>没有名为“{name}”的文档集。</translation>
    </message>
    <message>
        <source>Cannot open the collections index {path}: {e}</source>
        <translation>无法打开文档集索引 {path}：{e}</translation>
    </message>
    <message>
        <source>{path} was written by a newer QwQ Desktop; update the app to use it.</source>
        <translation>{path} 由更新版本的 QwQ Desktop 写入；请更新应用后再使用。</translation>
    </message>
    <message>
        <source>The collections index {path} failed: {e}</source>
        <translation>文档集索引 {path} 出错：{e}</translation>
    </message>
    <message>
        <source>A collection&apos;s name must be 1 to {limit} characters on one line.</source>
        <translation>文档集名称须为 1 到 {limit} 个字符，且只占一行。</translation>
    </message>
    <message>
        <source>{folder} is not a folder.</source>
        <translation>{folder} 不是文件夹。</translation>
    </message>
    <message>
        <source>A collection named “{name}” already exists.</source>
        <translation>名为“{name}”的文档集已存在。</translation>
    </message>
    <message>
        <source>“{name}” is not a file of the collection “{collection}”.</source>
        <translation>“{name}”不是文档集“{collection}”中的文件。</translation>
    </message>
    <message>
        <source>The folder of “{name}” is gone or not readable: {folder}</source>
        <translation>文档集“{name}”的文件夹已不存在或无法读取：{folder}</translation>
    </message>
    <message>
        <source>{path} could not be read ({error}).</source>
        <translation>无法读取 {path}（{error}）。</translation>
    </message>
    <message>
        <source>{path} is no longer a file in the folder.</source>
        <translation>{path} 已不再是该文件夹中的文件。</translation>
    </message>
    <message>
        <source>Cannot read {path}: {reason}.</source>
        <translation>无法读取 {path}：{reason}。</translation>
    </message>
    <message>
        <source>The file&apos;s name is not valid UTF-8.</source>
        <translation>文件名不是有效的 UTF-8。</translation>
    </message>
    <message>
        <source>{path} is larger than {limit} MB, the limit for a collection&apos;s file.</source>
        <translation>{path} 超过 {limit} MB，即文档集中单个文件的上限。</translation>
    </message>
</context>
<context>
    <name>CollectionsBox</name>
    <message>
        <source>not indexed yet</source>
        <translation>尚未索引</translation>
    </message>
    <message>
        <source>indexing (unfinished)</source>
        <translation>索引中（未完成）</translation>
    </message>
    <message>
        <source>{files:,} files · {passages:,} passages</source>
        <translation>{files:,} 个文件 · {passages:,} 个段落</translation>
    </message>
    <message>
        <source>Document collections (searched on this machine)</source>
        <translation>文档集（在本机搜索）</translation>
    </message>
    <message>
        <source>A folder of your documents, indexed for search: QwQ finds passages in it and cites them. Choose the collections of a conversation with the library button above the chat.</source>
        <translation>一个存放你文档的文件夹，建立索引以便搜索：QwQ 会在其中查找段落并注明出处。用对话上方的文档集按钮为对话选择文档集。</translation>
    </message>
    <message>
        <source>Document collections</source>
        <translation>文档集</translation>
    </message>
    <message>
        <source>Add folder…</source>
        <translation>添加文件夹…</translation>
    </message>
    <message>
        <source>Re-index</source>
        <translation>重新索引</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>A folder of documents</source>
        <translation>一个文档文件夹</translation>
    </message>
    <message>
        <source>Name the collection</source>
        <translation>为文档集命名</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>名称：</translation>
    </message>
    <message>
        <source>Indexing {name}…</source>
        <translation>正在索引 {name}…</translation>
    </message>
    <message>
        <source>Indexing… {done:,} of {total:,} files</source>
        <translation>索引中… {done:,} / {total:,} 个文件</translation>
    </message>
    <message>
        <source>Indexed: {added:,} new, {changed:,} changed, {removed:,} removed, {failed:,} unreadable files.</source>
        <translation>索引完成：新增 {added:,} 个、更改 {changed:,} 个、移除 {removed:,} 个，{failed:,} 个文件无法读取。</translation>
    </message>
</context>
<context>
    <name>CollectionsButton</name>
    <message>
        <source>Document collections</source>
        <translation>文档集</translation>
    </message>
    <message>
        <source>The document collections QwQ searches in this conversation</source>
        <translation>QwQ 在此对话中搜索的文档集</translation>
    </message>
    <message>
        <source>No collections yet: add one in Settings</source>
        <translation>还没有文档集：请在设置中添加</translation>
    </message>
    <message>
        <source>Searching: {names}</source>
        <translation>搜索：{names}</translation>
    </message>
</context>
<context>
    <name>Composer</name>
    <message>
        <source>Stop thinking and answer from the thinking so far (Ctrl+Shift+A)</source>
        <translation>停止思考，根据目前的思考作答（Ctrl+Shift+A）</translation>
    </message>
    <message>
        <source>Resend the edited message (Enter): a new branch</source>
        <translation>重新发送编辑后的消息（Enter）：新建一个分支</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <source>Send the message (Enter)</source>
        <translation>发送消息（Enter）</translation>
    </message>
    <message>
        <source>Attach files</source>
        <translation>附加文件</translation>
    </message>
    <message>
        <source>Attach files for QwQ to read: text, Markdown, code, CSV, JSON, PDF, DOCX, HTML</source>
        <translation>附加文件供 QwQ 阅读：文本、Markdown、代码、CSV、JSON、PDF、DOCX、HTML</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Stop the reply (Esc)</source>
        <translation>停止回复（Esc）</translation>
    </message>
    <message>
        <source>Answer now</source>
        <translation>立即作答</translation>
    </message>
    <message>
        <source>Resend</source>
        <translation>重新发送</translation>
    </message>
    <message>
        <source>Send (Enter)</source>
        <translation>发送（Enter）</translation>
    </message>
</context>
<context>
    <name>ContextMeter</name>
    <message>
        <source>context %v / %m tokens</source>
        <translation>上下文 %v / %m 词元</translation>
    </message>
    <message>
        <source>Context in use</source>
        <translation>已用上下文</translation>
    </message>
    <message>
        <source>loading %p%</source>
        <translation>加载中 %p%</translation>
    </message>
</context>
<context>
    <name>ContextPlan</name>
    <message>
        <source>The context length must be at least {n} tokens.</source>
        <translation>上下文长度至少为 {n} 词元。</translation>
    </message>
</context>
<context>
    <name>ConversationBudget</name>
    <message>
        <source>save the thinking budget</source>
        <translation>保存思考预算</translation>
    </message>
</context>
<context>
    <name>ConversationList</name>
    <message>
        <source>title</source>
        <translation>标题</translation>
    </message>
    <message>
        <source>answer</source>
        <translation>回答</translation>
    </message>
    <message>
        <source>reasoning</source>
        <translation>思考过程</translation>
    </message>
    <message>
        <source>you</source>
        <translation>你</translation>
    </message>
    <message>
        <source>New chat</source>
        <translation>新对话</translation>
    </message>
    <message>
        <source>Start a new chat (Ctrl+N)</source>
        <translation>开始新对话（Ctrl+N）</translation>
    </message>
    <message>
        <source>Search  (Ctrl+K)</source>
        <translation>搜索（Ctrl+K）</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>搜索</translation>
    </message>
    <message>
        <source>Clear the search</source>
        <translation>清除搜索</translation>
    </message>
    <message>
        <source>Search conversations</source>
        <translation>搜索对话</translation>
    </message>
    <message>
        <source>Searches titles, messages and reasoning; the list shows what it found</source>
        <translation>搜索标题、消息和思考过程；结果显示在列表中</translation>
    </message>
    <message>
        <source>Conversations</source>
        <translation>对话列表</translation>
    </message>
    <message>
        <source>Enter opens, F2 renames, Delete deletes, Ctrl+Z undoes a delete</source>
        <translation>Enter 打开，F2 重命名，Delete 删除，Ctrl+Z 撤销删除</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>撤销</translation>
    </message>
    <message>
        <source>Bring back the conversation just deleted (Ctrl+Z in the list)</source>
        <translation>恢复刚删除的对话（在列表中按 Ctrl+Z）</translation>
    </message>
    <message>
        <source>Pinned</source>
        <translation>已置顶</translation>
    </message>
    <message>
        <source>Rename</source>
        <translation>重命名</translation>
    </message>
    <message>
        <source>Unpin</source>
        <translation>取消置顶</translation>
    </message>
    <message>
        <source>Pin</source>
        <translation>置顶</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>rename the conversation</source>
        <translation>重命名对话</translation>
    </message>
    <message>
        <source>pin the conversation</source>
        <translation>置顶对话</translation>
    </message>
    <message>
        <source>unpin the conversation</source>
        <translation>取消置顶对话</translation>
    </message>
    <message>
        <source>delete the conversation</source>
        <translation>删除对话</translation>
    </message>
    <message>
        <source>Undo delete of “{title}”</source>
        <translation>撤销删除“{title}”</translation>
    </message>
    <message>
        <source>undo the delete</source>
        <translation>撤销删除</translation>
    </message>
    <message>
        <source>Search failed: {error}</source>
        <translation>搜索失败：{error}</translation>
    </message>
    <message>
        <source>No matches</source>
        <translation>没有匹配结果</translation>
    </message>
    <message>
        <source>{title}
  {where}: {snippet}</source>
        <translation>{title}
  {where}：{snippet}</translation>
    </message>
</context>
<context>
    <name>ConversationPage</name>
    <message>
        <source>{source}: not among the sources QwQ was given</source>
        <translation>{source}：不在提供给 QwQ 的来源之中</translation>
    </message>
    <message>
        <source>QwQ cites {source}, but no file or passage of that name and place was given to it in this conversation. Check the answer against your documents.</source>
        <translation>QwQ 引用了 {source}，但此对话中并没有向它提供该名称和位置的文件或段落。请对照你的文档核对回答。</translation>
    </message>
    <message>
        <source>{source} · from this conversation</source>
        <translation>{source} · 来自此对话</translation>
    </message>
</context>
<context>
    <name>ConversationStore</name>
    <message>
        <source>Could not restore {name} ({error}); the conversations as they were before are kept in {kept}.</source>
        <translation>无法恢复 {name}（{error}）；恢复前的对话已保留在 {kept}。</translation>
    </message>
    <message>
        <source>The conversation database is damaged ({error}). Restart QwQ Desktop: it will keep the damaged file as a backup and start a new one.</source>
        <translation>对话数据库已损坏（{error}）。请重启 QwQ 桌面版：它会把损坏的文件保留为备份，并新建一个数据库。</translation>
    </message>
    <message>
        <source>The disk is full: could not save to {path}. Free some space and retry; nothing on screen is lost.</source>
        <translation>磁盘已满：无法保存到 {path}。请释放一些空间后重试；屏幕上的内容不会丢失。</translation>
    </message>
    <message>
        <source>Could not save to {path}: {error}</source>
        <translation>无法保存到 {path}：{error}</translation>
    </message>
    <message>
        <source>There is no conversation {id}.</source>
        <translation>没有编号为 {id} 的对话。</translation>
    </message>
    <message>
        <source>A title cannot be empty.</source>
        <translation>标题不能为空。</translation>
    </message>
    <message>
        <source>QwQ Desktop is already running on this data folder (process {holder}): {folder}. Close it first, or set QWQ_DESKTOP_HOME to another folder.</source>
        <translation>QwQ 桌面版已在使用这个数据文件夹（进程 {holder}）：{folder}。请先关闭它，或把 QWQ_DESKTOP_HOME 设为其他文件夹。</translation>
    </message>
</context>
<context>
    <name>CrashReporter</name>
    <message>
        <source>Something went wrong inside QwQ Desktop. It keeps running, and nothing you wrote was lost.</source>
        <translation>QwQ 桌面版内部出错了。应用仍在运行，你写的内容都没有丢失。</translation>
    </message>
    <message>
        <source> ({count} errors so far)</source>
        <translation>（目前共 {count} 个错误）</translation>
    </message>
    <message>
        <source>{what}{more}

The details are in the log: {log}</source>
        <translation>{what}{more}

详细信息见日志：{log}</translation>
    </message>
</context>
<context>
    <name>Documents</name>
    <message>
        <source>Reading {name} was cancelled.</source>
        <translation>已取消读取 {name}。</translation>
    </message>
    <message>
        <source>{name} took longer than {seconds} to read and was stopped.</source>
        <translation>读取 {name} 超过了 {seconds}，已停止。</translation>
    </message>
    <message>
        <source>{name} holds more than {limit} characters of text, the most that is read from one file.</source>
        <translation>{name} 的文本超过 {limit} 个字符，这是单个文件可读取的上限。</translation>
    </message>
    <message>
        <source>{name} is a link; only a file itself is read, not a link to it.</source>
        <translation>{name} 是一个链接；只读取文件本身，不读取指向它的链接。</translation>
    </message>
    <message>
        <source>{name} is not a regular file.</source>
        <translation>{name} 不是普通文件。</translation>
    </message>
    <message>
        <source>{name} could not be read: {reason}</source>
        <translation>无法读取 {name}：{reason}</translation>
    </message>
    <message>
        <source>{name} changed while it was read; try again when it is saved.</source>
        <translation>{name} 在读取过程中发生了变化；请在保存后重试。</translation>
    </message>
    <message>
        <source>{name} is {size}; files up to {limit} are read.</source>
        <translation>{name} 大小为 {size}；只能读取不超过 {limit} 的文件。</translation>
    </message>
    <message>
        <source>{name} is a binary file, not text: only UTF-8 or UTF-16 text, PDF and DOCX are read.</source>
        <translation>{name} 是二进制文件，不是文本：只能读取 UTF-8 或 UTF-16 文本、PDF 和 DOCX。</translation>
    </message>
    <message>
        <source>{name} is damaged and cannot be read.</source>
        <translation>{name} 已损坏，无法读取。</translation>
    </message>
    <message>
        <source>{name} is protected by a password; remove the password and try again.</source>
        <translation>{name} 受密码保护；请移除密码后重试。</translation>
    </message>
    <message>
        <source>{name} has {pages} pages; the most that is read from one PDF is {limit}.</source>
        <translation>{name} 有 {pages} 页；单个 PDF 最多读取 {limit} 页。</translation>
    </message>
    <message>
        <source>{name} has no text to read: it looks scanned (pictures of pages, not text).</source>
        <translation>{name} 没有可读取的文本：它似乎是扫描件（页面是图片，不是文字）。</translation>
    </message>
    <message>
        <source>{name} is not a Word document (.docx), or it is damaged.</source>
        <translation>{name} 不是 Word 文档（.docx），或者已损坏。</translation>
    </message>
    <message>
        <source>{name} holds more than {count} files inside (a zip bomb?) and is not read.</source>
        <translation>{name} 内含超过 {count} 个文件（可能是压缩炸弹），不予读取。</translation>
    </message>
    <message>
        <source>{name} unpacks to {ratio} times its size, as a zip bomb does, and is not read.</source>
        <translation>{name} 解压后是原大小的 {ratio} 倍，这是压缩炸弹的特征，不予读取。</translation>
    </message>
    <message>
        <source>{name} is not a Word document (.docx): it has no document text inside.</source>
        <translation>{name} 不是 Word 文档（.docx）：其中没有文档正文。</translation>
    </message>
    <message>
        <source>{name} would unpack to more than {limit} (a zip bomb?) and is not read.</source>
        <translation>{name} 解压后会超过 {limit}（可能是压缩炸弹），不予读取。</translation>
    </message>
</context>
<context>
    <name>Download</name>
    <message>
        <source>a symbolic link</source>
        <translation>符号链接</translation>
    </message>
    <message>
        <source>not a folder</source>
        <translation>不是文件夹</translation>
    </message>
    <message>
        <source>{path} is {what}: downloads never leave the models folder. Remove it and run the download again.</source>
        <translation>{path}（{what}）：下载绝不会写到模型文件夹之外。请删除它后重新下载。</translation>
    </message>
    <message>
        <source>Cannot check {path}: {error}.</source>
        <translation>无法检查 {path}：{error}。</translation>
    </message>
    <message>
        <source>not a plain file</source>
        <translation>不是普通文件</translation>
    </message>
    <message>
        <source>{path} is {what}: a download never writes through one. Remove it and run the download again.</source>
        <translation>{path}（{what}）：下载绝不会通过它写入。请删除它后重新下载。</translation>
    </message>
    <message>
        <source>{path} has other hard links: a download never writes into a file that is also elsewhere. Remove it and run the download again.</source>
        <translation>{path} 有其他硬链接：下载绝不会写入同时位于别处的文件。请删除它后重新下载。</translation>
    </message>
    <message>
        <source>Cannot open {path}: {error}.</source>
        <translation>无法打开 {path}：{error}。</translation>
    </message>
    <message>
        <source>Cannot write {path}: {error}.</source>
        <translation>无法写入 {path}：{error}。</translation>
    </message>
    <message>
        <source>Not enough free disk space in {folder}: {remaining} still to download (plus {margin} to spare), {free} free. Free some space or move the models folder.</source>
        <translation>{folder} 的磁盘空间不足：还需下载 {remaining}（另需预留 {margin}），当前剩余 {free}。请释放一些空间，或移动模型文件夹。</translation>
    </message>
    <message>
        <source>{name} from {repo} failed its checksum twice (expected SHA-256 {expected}, got {digest}). The file was deleted; the source may be damaged: try another source.</source>
        <translation>来自 {repo} 的 {name} 两次未通过校验（应为 SHA-256 {expected}，实际为 {digest}）。文件已删除；下载源可能有问题：请换一个下载源。</translation>
    </message>
    <message>
        <source>Downloading {name} keeps failing ({why}). The {size} received are kept: run the download again to resume.</source>
        <translation>下载 {name} 一直失败（{why}）。已收到的 {size} 会保留：重新下载即可继续。</translation>
    </message>
    <message>
        <source>{why}; retrying in {delay:.0f} s (attempt {n} of {all})</source>
        <translation>{why}；{delay:.0f} 秒后重试（第 {n}/{all} 次）</translation>
    </message>
    <message>
        <source>The server keeps sending {name} from the start instead of resuming it, and the connection keeps dropping: try another source.</source>
        <translation>服务器总是从头发送 {name} 而不是断点续传，且连接不断中断：请换一个下载源。</translation>
    </message>
    <message>
        <source>{repo} refused the download (HTTP {status}): the repo may be gated or private; set HF_TOKEN to a token that may read it.</source>
        <translation>{repo} 拒绝了下载（HTTP {status}）：该仓库可能需要申请访问或是私有的；请把 HF_TOKEN 设为有读取权限的令牌。</translation>
    </message>
    <message>
        <source>{path} is no longer in {repo} (HTTP 404).</source>
        <translation>{repo} 中已没有 {path}（HTTP 404）。</translation>
    </message>
    <message>
        <source>The server&apos;s answer for {name} cannot be used ({why}): try another source.</source>
        <translation>服务器对 {name} 的应答无法使用（{why}）：请换一个下载源。</translation>
    </message>
    <message>
        <source>The disk filled up while downloading {name} into {folder}. What was received is kept: free some space and resume.</source>
        <translation>下载 {name} 到 {folder} 时磁盘已满。已收到的部分会保留：请释放一些空间后继续下载。</translation>
    </message>
    <message>
        <source>Cannot write {name}: {error}</source>
        <translation>无法写入 {name}：{error}</translation>
    </message>
    <message>
        <source>{name} is already being downloaded (process {holder}): let that one finish, or stop it first.</source>
        <translation>{name} 已在下载中（进程 {holder}）：请等它完成，或先停止它。</translation>
    </message>
</context>
<context>
    <name>EmptyConversation</name>
    <message>
        <source>What shall QwQ think about?</source>
        <translation>想让 QwQ 思考什么？</translation>
    </message>
    <message>
        <source>QwQ thinks a problem through before it answers. Its thinking shows here as it goes, and folds away when the answer begins.</source>
        <translation>QwQ 会先把问题想透，再作答。它的思考过程会在这里实时显示，开始作答时自动收起。</translation>
    </message>
</context>
<context>
    <name>FitPlan</name>
    <message>
        <source>unified memory</source>
        <translation>统一内存</translation>
    </message>
    <message>
        <source>the {gpu}</source>
        <translation> {gpu}</translation>
    </message>
    <message>
        <source>the GPU</source>
        <translation> GPU</translation>
    </message>
    <message>
        <source>{quant} fits entirely in {where} ({size}).</source>
        <translation>{quant} 可以完全放入{where}（{size}）。</translation>
    </message>
    <message>
        <source>{quant} needs {size} of RAM besides the GPU, and {free} is free: choose a smaller quantization or a shorter context.</source>
        <translation>{quant} 除 GPU 外还需要 {size} 内存，而可用内存只有 {free}：请选择更小的量化或更短的上下文。</translation>
    </message>
    <message>
        <source>{quant} needs {size} of RAM, and {free} is free: choose a smaller quantization or a shorter context.</source>
        <translation>{quant} 需要 {size} 内存，而可用内存只有 {free}：请选择更小的量化或更短的上下文。</translation>
    </message>
    <message>
        <source>{quant}: {gpu} of {all} layers on the GPU ({used}), the rest in RAM ({ram}).</source>
        <translation>{quant}：{all} 层中有 {gpu} 层在 GPU 上（{used}），其余在内存中（{ram}）。</translation>
    </message>
    <message>
        <source>{quant} runs on the CPU, in {size} of RAM.</source>
        <translation>{quant} 在 CPU 上运行，占用 {size} 内存。</translation>
    </message>
    <message>
        <source>puts the whole model on the GPU</source>
        <translation>可把整个模型放到 GPU 上</translation>
    </message>
    <message>
        <source>puts {q8} layers on the GPU instead of {f16}</source>
        <translation>可把 GPU 上的层数从 {f16} 增加到 {q8}</translation>
    </message>
    <message>
        <source>makes it fit in RAM</source>
        <translation>可让它放得进内存</translation>
    </message>
    <message>
        <source>A q8_0 KV cache (half the memory, with flash attention) {gain} at {tokens:,} tokens.</source>
        <translation>在 {tokens:,} 词元的上下文下，使用 q8_0 KV 缓存（内存减半，需启用 flash attention）{gain}。</translation>
    </message>
</context>
<context>
    <name>Format</name>
    <message>
        <source>{s} s</source>
        <translation>{s} 秒</translation>
    </message>
    <message>
        <source>{m} min {s} s</source>
        <translation>{m} 分 {s} 秒</translation>
    </message>
    <message>
        <source>{h} h {m} min</source>
        <translation>{h} 小时 {m} 分</translation>
    </message>
    <message>
        <source>a second</source>
        <translation>一秒</translation>
    </message>
    <message>
        <source>{n} seconds</source>
        <translation>{n} 秒</translation>
    </message>
    <message>
        <source>{n} minutes</source>
        <translation>{n} 分钟</translation>
    </message>
    <message>
        <source>{n} hours</source>
        <translation>{n} 小时</translation>
    </message>
    <message>
        <source>stopped: out of tokens</source>
        <translation>已停止：词元用尽</translation>
    </message>
    <message>
        <source>stopped by you</source>
        <translation>已被你停止</translation>
    </message>
    <message>
        <source>stopped: it repeated itself</source>
        <translation>已停止：内容出现重复</translation>
    </message>
    <message>
        <source>stopped: tool round limit reached</source>
        <translation>已停止：达到工具调用轮数上限</translation>
    </message>
    <message>
        <source>failed: {error}</source>
        <translation>失败：{error}</translation>
    </message>
</context>
<context>
    <name>GGUFFile</name>
    <message>
        <source>Model file not found: {path}</source>
        <translation>找不到模型文件：{path}</translation>
    </message>
    <message>
        <source>Model path is a folder, not a GGUF file: {path}</source>
        <translation>模型路径是一个文件夹，而不是 GGUF 文件：{path}</translation>
    </message>
    <message>
        <source>Not a GGUF model file: {path}</source>
        <translation>不是 GGUF 模型文件：{path}</translation>
    </message>
    <message>
        <source>The GGUF file is truncated ({size} bytes): {path}</source>
        <translation>GGUF 文件不完整（{size} 字节）：{path}</translation>
    </message>
    <message>
        <source>Cannot read the model file (permission denied): {path}</source>
        <translation>无法读取模型文件（权限不足）：{path}</translation>
    </message>
    <message>
        <source>Cannot read the model file: {path}: {error}</source>
        <translation>无法读取模型文件：{path}：{error}</translation>
    </message>
    <message>
        <source>Unsupported GGUF version {version}: {path}</source>
        <translation>不支持的 GGUF 版本 {version}：{path}</translation>
    </message>
    <message>
        <source>The GGUF file uses a tensor type ({type}) this version does not know: {path}</source>
        <translation>GGUF 文件使用了此版本不认识的张量类型（{type}）：{path}</translation>
    </message>
    <message>
        <source>The GGUF file is truncated ({size:,} bytes); the download may be incomplete: {path}</source>
        <translation>GGUF 文件不完整（{size:,} 字节），可能没有下载完：{path}</translation>
    </message>
    <message>
        <source>The GGUF file is damaged ({error}): {path}</source>
        <translation>GGUF 文件已损坏（{error}）：{path}</translation>
    </message>
</context>
<context>
    <name>Keys</name>
    <message>
        <source>No system keyring is available, so the key is kept for this session only. Set it in an environment variable (for DashScope: DASHSCOPE_API_KEY) to avoid typing it again.</source>
        <translation>系统没有可用的密钥环，因此密钥只在本次运行中保留。可以把它设为环境变量（DashScope 为 DASHSCOPE_API_KEY），以免再次输入。</translation>
    </message>
</context>
<context>
    <name>Library</name>
    <message>
        <source> and {count} more</source>
        <translation> 等另外 {count} 个</translation>
    </message>
    <message>
        <source>{name} is part {index} of a {count}-part model and {missing} part(s) are missing: {shown}. Keep all parts in one folder.</source>
        <translation>{name} 是 {count} 个分卷模型中的第 {index} 卷，缺少 {missing} 个分卷：{shown}。请把所有分卷放在同一个文件夹中。</translation>
    </message>
    <message>
        <source>{name} is incomplete (truncated): download it again, or copy it whole.</source>
        <translation>{name} 不完整（被截断）：请重新下载，或完整复制。</translation>
    </message>
    <message>
        <source>llama.cpp cannot read {name} (see the log for details).</source>
        <translation>llama.cpp 无法读取 {name}（详见日志）。</translation>
    </message>
    <message>
        <source>Cannot inspect this file ({kind}; see the log): {path}</source>
        <translation>无法检查此文件（{kind}；详见日志）：{path}</translation>
    </message>
</context>
<context>
    <name>LocalEngine</name>
    <message>
        <source>This model&apos;s architecture (&apos;{architecture}&apos;) is not supported by the bundled llama.cpp: {path}</source>
        <translation>内置的 llama.cpp 不支持此模型的架构（“{architecture}”）：{path}</translation>
    </message>
    <message>
        <source>Not enough memory to load {name} ({size:.1f} GB): try a smaller quantization, fewer GPU layers or a shorter context.</source>
        <translation>内存不足，无法加载 {name}（{size:.1f} GB）：请尝试更小的量化、更少的 GPU 层数或更短的上下文。</translation>
    </message>
    <message>
        <source>llama.cpp could not load the model{detail}: {path}</source>
        <translation>llama.cpp 无法加载模型{detail}：{path}</translation>
    </message>
    <message>
        <source>Out of GPU memory with {shown} layers on the GPU: loaded with {gpu} of {all}. Lower the context or the GPU layers to avoid the retry.</source>
        <translation>在 GPU 上放 {shown} 层时显存不足：已改为 {all} 层中的 {gpu} 层加载。调低上下文长度或 GPU 层数可避免重试。</translation>
    </message>
    <message>
        <source>{backend}, {gpu}/{all} layers on the GPU</source>
        <translation>{backend}，GPU 上 {gpu}/{all} 层</translation>
    </message>
    <message>
        <source>The prompt is {tokens:,} tokens but the context holds {n_ctx:,}: shorten it or load the model with a longer context.</source>
        <translation>消息共 {tokens:,} 词元，但上下文只能容纳 {n_ctx:,}：请缩短消息，或以更长的上下文加载模型。</translation>
    </message>
    <message>
        <source>The reply to continue is {tokens:,} tokens with its prompt but the context holds {n_ctx:,}: ask again in a new message or load the model with a longer context.</source>
        <translation>要继续的回复连同提示共 {tokens:,} 词元，但上下文只能容纳 {n_ctx:,}：请在新消息中重新提问，或以更长的上下文加载模型。</translation>
    </message>
    <message>
        <source>The model is busy with another reply; stop it or wait.</source>
        <translation>模型正在生成另一条回复；请先停止或稍候。</translation>
    </message>
</context>
<context>
    <name>LongBlockView</name>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Copy this part of the answer</source>
        <translation>复制回答的这一部分</translation>
    </message>
    <message>
        <source>Answer</source>
        <translation>回答</translation>
    </message>
    <message>
        <source>{language} block</source>
        <translation>{language} 代码块</translation>
    </message>
    <message>
        <source>code</source>
        <translation>代码</translation>
    </message>
    <message>
        <source>text</source>
        <translation>文本</translation>
    </message>
    <message>
        <source>Long {what}: {count:,} characters, shown as plain text (Copy gives all of it).</source>
        <translation>较长的{what}：{count:,} 个字符，以纯文本显示（“复制”可得到全部内容）。</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>QwQ Desktop</source>
        <translation>QwQ 桌面版</translation>
    </message>
    <message>
        <source>Speed</source>
        <translation>速度</translation>
    </message>
    <message>
        <source>{speed:.1f} tok/s</source>
        <translation>{speed:.1f} tok/s</translation>
    </message>
    <message>
        <source>show that branch</source>
        <translation>显示该分支</translation>
    </message>
    <message>
        <source>New chat</source>
        <translation>新对话</translation>
    </message>
    <message>
        <source>{app} — {title}</source>
        <translation>{app} — {title}</translation>
    </message>
    <message>
        <source>Attached {when}</source>
        <translation>附件 {when}</translation>
    </message>
    <message>
        <source>Could not index the files: {e}</source>
        <translation>无法索引这些文件：{e}</translation>
    </message>
    <message>
        <source>Indexing the files for search…</source>
        <translation>正在为搜索索引这些文件…</translation>
    </message>
    <message>
        <source>The files will be searched: ask your question (collection “{name}”).</source>
        <translation>将搜索这些文件：请提出你的问题（文档集“{name}”）。</translation>
    </message>
    <message>
        <source>Saving the conversation…</source>
        <translation>正在保存对话…</translation>
    </message>
</context>
<context>
    <name>MarkdownBlockView</name>
    <message>
        <source>Answer</source>
        <translation>回答</translation>
    </message>
</context>
<context>
    <name>McpConfig</name>
    <message>
        <source>mcpServers must be an object of servers by name; no MCP server was read.</source>
        <translation>mcpServers 必须是以名称为键的服务器对象；未读取任何 MCP 服务器。</translation>
    </message>
    <message>
        <source>Only the first {count} MCP servers are read; the rest are skipped.</source>
        <translation>只读取前 {count} 个 MCP 服务器，其余已跳过。</translation>
    </message>
    <message>
        <source>The MCP server name {name} is not a name of 1 to {limit} characters.</source>
        <translation>MCP 服务器名称 {name} 不是 1 到 {limit} 个字符的名称。</translation>
    </message>
    <message>
        <source>The MCP server {name} is skipped: {reason}</source>
        <translation>已跳过 MCP 服务器 {name}：{reason}</translation>
    </message>
    <message>
        <source>its settings must be an object.</source>
        <translation>它的设置必须是一个对象。</translation>
    </message>
    <message>
        <source>its type {type} is not one this app speaks (stdio or http).</source>
        <translation>它的类型 {type} 不受本应用支持（只支持 stdio 或 http）。</translation>
    </message>
    <message>
        <source>it has both a command and a url; give one.</source>
        <translation>它同时有 command 和 url；请只保留一个。</translation>
    </message>
    <message>
        <source>it has neither a command nor a url.</source>
        <translation>它既没有 command 也没有 url。</translation>
    </message>
    <message>
        <source>its url must start with http:// or https://.</source>
        <translation>它的 url 必须以 http:// 或 https:// 开头。</translation>
    </message>
    <message>
        <source>its headers must be an object of texts.</source>
        <translation>它的 headers 必须是由文本组成的对象。</translation>
    </message>
    <message>
        <source>its command must be a program to run.</source>
        <translation>它的 command 必须是要运行的程序。</translation>
    </message>
    <message>
        <source>its args must be a list of texts.</source>
        <translation>它的 args 必须是文本列表。</translation>
    </message>
    <message>
        <source>its env must be an object of texts.</source>
        <translation>它的 env 必须是由文本组成的对象。</translation>
    </message>
    <message>
        <source>its cwd must be a folder.</source>
        <translation>它的 cwd 必须是一个文件夹。</translation>
    </message>
    <message>
        <source>disabled must be true or false.</source>
        <translation>disabled 必须是 true 或 false。</translation>
    </message>
    <message>
        <source>{key} must be a list of tool names.</source>
        <translation>{key} 必须是工具名称列表。</translation>
    </message>
</context>
<context>
    <name>McpJsonDialog</name>
    <message>
        <source>MCP servers as JSON</source>
        <translation>以 JSON 编辑 MCP 服务器</translation>
    </message>
    <message>
        <source>The &quot;mcpServers&quot; object other MCP clients use: a name, then &quot;command&quot;, &quot;args&quot; and &quot;env&quot; for a program, or &quot;url&quot; and &quot;headers&quot; for a server over HTTP. Also per server: &quot;disabled&quot;, &quot;disabledTools&quot;, &quot;readOnlyTools&quot;.</source>
        <translation>其他 MCP 客户端使用的 “mcpServers” 对象：每个名称下，程序写 “command”、“args” 和 “env”，通过 HTTP 访问的服务器写 “url” 和 “headers”。每个服务器还可写 “disabled”、“disabledTools”、“readOnlyTools”。</translation>
    </message>
    <message>
        <source>This is not JSON: {error}</source>
        <translation>这不是 JSON：{error}</translation>
    </message>
</context>
<context>
    <name>McpServers</name>
    <message>
        <source>The MCP server {name} is turned off.</source>
        <translation>MCP 服务器 {name} 已关闭。</translation>
    </message>
    <message>
        <source>The MCP server {name} did not start within {seconds} s.</source>
        <translation>MCP 服务器 {name} 未能在 {seconds} 秒内启动。</translation>
    </message>
    <message>
        <source>The MCP server {name} stopped.</source>
        <translation>MCP 服务器 {name} 已停止运行。</translation>
    </message>
    <message>
        <source>Not offered: its name is too long.</source>
        <translation>未提供给模型：它的名称过长。</translation>
    </message>
    <message>
        <source>Not offered: its parameters take {size} KB to describe (the limit is {limit} KB).</source>
        <translation>未提供给模型：它的参数说明有 {size} KB（上限为 {limit} KB）。</translation>
    </message>
    <message>
        <source>Not offered: its parameters are not an object.</source>
        <translation>未提供给模型：它的参数不是一个对象。</translation>
    </message>
    <message>
        <source>The MCP server {name} did not answer within {seconds} s.</source>
        <translation>MCP 服务器 {name} 未在 {seconds} 秒内应答。</translation>
    </message>
    <message>
        <source>The program {name} was not found.</source>
        <translation>找不到程序 {name}。</translation>
    </message>
</context>
<context>
    <name>McpServersBox</name>
    <message>
        <source>MCP servers (tools QwQ may use)</source>
        <translation>MCP 服务器（QwQ 可使用的工具）</translation>
    </message>
    <message>
        <source>No MCP servers yet. Paste an mcpServers block from a server&apos;s instructions with Edit JSON…; a server starts with the first reply that may use it, or when you start it here.</source>
        <translation>还没有 MCP 服务器。点击“以 JSON 编辑…”粘贴服务器说明中的配置；服务器会在第一条可能用到它的回复开始时启动，也可以在这里手动启动。</translation>
    </message>
    <message>
        <source>Edit JSON…</source>
        <translation>以 JSON 编辑…</translation>
    </message>
    <message>
        <source>Edit the MCP servers as JSON</source>
        <translation>以 JSON 编辑 MCP 服务器</translation>
    </message>
    <message>
        <source>Stopping…</source>
        <translation>正在停止…</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>正在启动…</translation>
    </message>
</context>
<context>
    <name>MessageEdit</name>
    <message>
        <source>Ask QwQ…  (Enter to send, Shift+Enter for a new line)</source>
        <translation>向 QwQ 提问…（Enter 发送，Shift+Enter 换行）</translation>
    </message>
    <message>
        <source>Message to QwQ</source>
        <translation>发给 QwQ 的消息</translation>
    </message>
    <message>
        <source>Enter sends, Shift+Enter starts a new line, Tab leaves the box</source>
        <translation>Enter 发送，Shift+Enter 换行，Tab 离开输入框</translation>
    </message>
</context>
<context>
    <name>ModelController</name>
    <message>
        <source>Download failed: {error}</source>
        <translation>下载失败：{error}</translation>
    </message>
    <message>
        <source>Download paused</source>
        <translation>下载已暂停</translation>
    </message>
    <message>
        <source>Open a GGUF model</source>
        <translation>打开 GGUF 模型</translation>
    </message>
    <message>
        <source>GGUF models (*.gguf)</source>
        <translation>GGUF 模型 (*.gguf)</translation>
    </message>
    <message>
        <source>Checking {name}…</source>
        <translation>正在检查 {name}…</translation>
    </message>
    <message>
        <source>Loading {name}…</source>
        <translation>正在加载 {name}…</translation>
    </message>
    <message>
        <source>Could not load the model: {error}</source>
        <translation>无法加载模型：{error}</translation>
    </message>
    <message>
        <source>Downloaded {name}</source>
        <translation>已下载 {name}</translation>
    </message>
    <message>
        <source>Restoring conversation…</source>
        <translation>正在恢复对话…</translation>
    </message>
    <message>
        <source>Could not keep the conversation warm: {error}</source>
        <translation>无法为对话预热：{error}</translation>
    </message>
    <message>
        <source>{count:,} tokens of this conversation restored from its snapshot</source>
        <translation>已从快照恢复此对话的 {count:,} 个词元</translation>
    </message>
    <message>
        <source>Warm</source>
        <translation>已预热</translation>
    </message>
</context>
<context>
    <name>ModelLibrary</name>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Quant</source>
        <translation>量化</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Where</source>
        <translation>位置</translation>
    </message>
    <message>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Models on this machine</source>
        <translation>本机上的模型</translation>
    </message>
    <message>
        <source>Select all</source>
        <translation>全选</translation>
    </message>
    <message>
        <source>Load</source>
        <translation>加载</translation>
    </message>
    <message>
        <source>Set as default</source>
        <translation>设为默认</translation>
    </message>
    <message>
        <source>Show in folder</source>
        <translation>在文件夹中显示</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>删除…</translation>
    </message>
    <message>
        <source>Add a GGUF file…</source>
        <translation>添加 GGUF 文件…</translation>
    </message>
    <message>
        <source>Download QwQ-32B…</source>
        <translation>下载 QwQ-32B…</translation>
    </message>
    <message>
        <source>Could not read {folder}: {error}</source>
        <translation>无法读取 {folder}：{error}</translation>
    </message>
    <message>
        <source>downloaded</source>
        <translation>已下载</translation>
    </message>
    <message>
        <source> ({count} parts)</source>
        <translation>（{count} 个分卷）</translation>
    </message>
    <message>
        <source>{size} in {folder}</source>
        <translation>{folder} 中共 {size}</translation>
    </message>
    <message>
        <source> · {count} download(s) to resume</source>
        <translation> · {count} 个下载待继续</translation>
    </message>
    <message>
        <source> · No models yet: download QwQ-32B or add a GGUF file.</source>
        <translation> · 还没有模型：请下载 QwQ-32B 或添加 GGUF 文件。</translation>
    </message>
    <message>
        <source>Forget</source>
        <translation>移出列表</translation>
    </message>
    <message>
        <source>Delete the model</source>
        <translation>删除模型</translation>
    </message>
    <message>
        <source>Delete {name} ({size}) from this machine?

Your conversations stay. You can download it again later.</source>
        <translation>要从本机删除 {name}（{size}）吗？

你的对话不受影响。以后可以重新下载。</translation>
    </message>
    <message>
        <source>Could not delete {name}: {error}</source>
        <translation>无法删除 {name}：{error}</translation>
    </message>
    <message>
        <source>Could not save the settings: {error}</source>
        <translation>无法保存设置：{error}</translation>
    </message>
</context>
<context>
    <name>ModelSetup</name>
    <message>
        <source>ModelScope (modelscope.cn)</source>
        <translation>魔搭 ModelScope（modelscope.cn）</translation>
    </message>
    <message>
        <source>A Hub mirror…</source>
        <translation>Hugging Face 镜像站…</translation>
    </message>
    <message>
        <source>Another GGUF on the Hub…</source>
        <translation>Hugging Face 上的其他 GGUF…</translation>
    </message>
    <message>
        <source>all on the GPU</source>
        <translation>全部在 GPU 上</translation>
    </message>
    <message>
        <source>CPU only</source>
        <translation>仅 CPU</translation>
    </message>
    <message>
        <source>does not fit</source>
        <translation>放不下</translation>
    </message>
    <message>
        <source>{gpu}/{all} layers on the GPU</source>
        <translation>GPU 上 {gpu}/{all} 层</translation>
    </message>
    <message>
        <source> · ~{speed:.0f} tokens/s</source>
        <translation> · 约每秒 {speed:.0f} 词元</translation>
    </message>
    <message>
        <source>  (recommended)</source>
        <translation>（推荐）</translation>
    </message>
    <message>
        <source>Checking the {size} already downloaded…</source>
        <translation>正在检查已下载的 {size}…</translation>
    </message>
    <message>
        <source>Verifying {file} (SHA-256)…</source>
        <translation>正在校验 {file}（SHA-256）…</translation>
    </message>
    <message>
        <source>Verified.</source>
        <translation>校验通过。</translation>
    </message>
    <message>
        <source>{done} of {total}</source>
        <translation>{done} / {total}</translation>
    </message>
    <message>
        <source>{size}/s</source>
        <translation>{size}/秒</translation>
    </message>
    <message>
        <source>{time} left</source>
        <translation>剩余 {time}</translation>
    </message>
    <message>
        <source>file {index} of {count}</source>
        <translation>第 {index}/{count} 个文件</translation>
    </message>
    <message>
        <source>Welcome to QwQ Desktop</source>
        <translation>欢迎使用 QwQ 桌面版</translation>
    </message>
    <message>
        <source>QwQ-32B is the Qwen team&apos;s open reasoning model: it thinks a problem through before it answers. It runs on this computer, offline after one download.</source>
        <translation>QwQ-32B 是通义千问（Qwen）团队开源的推理模型：它会先把问题想透，再给出回答。它在这台电脑上运行，下载一次之后即可离线使用。</translation>
    </message>
    <message>
        <source>This computer</source>
        <translation>这台电脑</translation>
    </message>
    <message>
        <source>Memory</source>
        <translation>内存</translation>
    </message>
    <message>
        <source>Graphics</source>
        <translation>显卡</translation>
    </message>
    <message>
        <source>Disk free</source>
        <translation>可用磁盘空间</translation>
    </message>
    <message>
        <source>Recommended for it</source>
        <translation>为这台电脑推荐</translation>
    </message>
    <message>
        <source>Looking at this machine…</source>
        <translation>正在检测本机配置…</translation>
    </message>
    <message>
        <source>Other choices</source>
        <translation>其他选择</translation>
    </message>
    <message>
        <source>Model file to download</source>
        <translation>要下载的模型文件</translation>
    </message>
    <message>
        <source>Download from</source>
        <translation>下载来源</translation>
    </message>
    <message>
        <source>Repository on the Hub</source>
        <translation>Hugging Face 上的仓库</translation>
    </message>
    <message>
        <source>owner/repo, e.g. bartowski/Qwen_QwQ-32B-GGUF</source>
        <translation>所有者/仓库，例如 bartowski/Qwen_QwQ-32B-GGUF</translation>
    </message>
    <message>
        <source>File name in the repository</source>
        <translation>仓库中的文件名</translation>
    </message>
    <message>
        <source>file name, e.g. Qwen_QwQ-32B-IQ4_XS.gguf</source>
        <translation>文件名，例如 Qwen_QwQ-32B-IQ4_XS.gguf</translation>
    </message>
    <message>
        <source>Mirror address</source>
        <translation>镜像地址</translation>
    </message>
    <message>
        <source>Download {quant} ({size})</source>
        <translation>下载 {quant}（{size}）</translation>
    </message>
    <message>
        <source>Download</source>
        <translation>下载</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Download progress</source>
        <translation>下载进度</translation>
    </message>
    <message>
        <source>Open a GGUF file…</source>
        <translation>打开 GGUF 文件…</translation>
    </message>
    <message>
        <source>…or drop a .gguf file on this window.</source>
        <translation>…或把 .gguf 文件拖到此窗口。</translation>
    </message>
    <message>
        <source>Could not read this machine: {error}</source>
        <translation>无法读取本机配置：{error}</translation>
    </message>
    <message>
        <source>{size} of {quant} already downloaded: resume it.</source>
        <translation>{quant} 已下载 {size}：可继续下载。</translation>
    </message>
    <message>
        <source>Resume download</source>
        <translation>继续下载</translation>
    </message>
    <message>
        <source>{ram} unified memory</source>
        <translation>{ram} 统一内存</translation>
    </message>
    <message>
        <source>{ram} RAM</source>
        <translation>{ram} 内存</translation>
    </message>
    <message>
        <source>No GPU found: QwQ runs on the CPU</source>
        <translation>未找到 GPU：QwQ 将在 CPU 上运行</translation>
    </message>
    <message>
        <source>(this llama.cpp build runs on the CPU only)</source>
        <translation>（此 llama.cpp 版本仅在 CPU 上运行）</translation>
    </message>
    <message>
        <source>{size} in {folder}</source>
        <translation>{folder} 中可用 {size}</translation>
    </message>
    <message>
        <source>Enter the mirror&apos;s address, for example https://hf-mirror.com.</source>
        <translation>请输入镜像站地址，例如 https://hf-mirror.com。</translation>
    </message>
    <message>
        <source>Download anyway?</source>
        <translation>仍要下载吗？</translation>
    </message>
    <message>
        <source>{reason}

Download {quant} anyway?</source>
        <translation>{reason}

仍要下载 {quant} 吗？</translation>
    </message>
    <message>
        <source>Asking {source} about {repo}…</source>
        <translation>正在向 {source} 查询 {repo}…</translation>
    </message>
    <message>
        <source>{file} from {source}</source>
        <translation>{file}（来自 {source}）</translation>
    </message>
    <message>
        <source>Cancel the download</source>
        <translation>取消下载</translation>
    </message>
    <message>
        <source>Delete what was downloaded so far?

Keep it to resume later.</source>
        <translation>要删除已下载的部分吗？

保留它可以稍后继续下载。</translation>
    </message>
    <message>
        <source>Verified: {name}. Loading it…</source>
        <translation>校验通过：{name}。正在加载…</translation>
    </message>
    <message>
        <source>Download cancelled.</source>
        <translation>下载已取消。</translation>
    </message>
    <message>
        <source> at {done} of {total}</source>
        <translation>，已完成 {done} / {total}</translation>
    </message>
    <message>
        <source>Paused{where}. Resume now or after a restart.</source>
        <translation>已暂停{where}。可以现在继续，也可以重启后继续。</translation>
    </message>
    <message>
        <source>Try again</source>
        <translation>重试</translation>
    </message>
</context>
<context>
    <name>Notices</name>
    <message>
        <source>No model loaded</source>
        <translation>未加载模型</translation>
    </message>
</context>
<context>
    <name>Operations</name>
    <message>
        <source>Could not {what}: {error}</source>
        <translation>无法{what}：{error}</translation>
    </message>
    <message>
        <source>Could not {what}: {kind}: {error}</source>
        <translation>无法{what}：{kind}：{error}</translation>
    </message>
</context>
<context>
    <name>Overview</name>
    <message>
        <source>{chip}, {ram} unified memory</source>
        <translation>{chip}，{ram} 统一内存</translation>
    </message>
    <message>
        <source>{ram} RAM</source>
        <translation>{ram} 内存</translation>
    </message>
    <message>
        <source> (this llama.cpp build runs on the CPU only)</source>
        <translation>（此 llama.cpp 版本只能在 CPU 上运行）</translation>
    </message>
    <message>
        <source>{machine}: no QwQ-32B file fits this machine ({disk} free disk). A remote endpoint or a bigger machine is needed.</source>
        <translation>{machine}：没有适合本机的 QwQ-32B 文件（磁盘剩余 {disk}）。需要使用远程端点或更强的机器。</translation>
    </message>
    <message>
        <source>all on the GPU</source>
        <translation>全部在 GPU 上</translation>
    </message>
    <message>
        <source>{gpu} of {all} layers on the GPU</source>
        <translation>GPU 上 {gpu}/{all} 层</translation>
    </message>
    <message>
        <source>on the CPU</source>
        <translation>在 CPU 上运行</translation>
    </message>
    <message>
        <source>, ~{speed:.0f} tokens/s expected</source>
        <translation>，预计约每秒 {speed:.0f} 词元</translation>
    </message>
    <message>
        <source>{machine}: {quant}, {where}{speed}</source>
        <translation>{machine}：{quant}，{where}{speed}</translation>
    </message>
</context>
<context>
    <name>QFileDialog</name>
    <message>
        <source>&amp;Look in:</source>
        <translation>查找范围(&amp;L)：</translation>
    </message>
    <message>
        <source>Files of &amp;type:</source>
        <translation>文件类型(&amp;T)：</translation>
    </message>
</context>
<context>
    <name>ReasoningBlock</name>
    <message>
        <source>budget reached</source>
        <translation>已达预算</translation>
    </message>
    <message>
        <source>time limit reached</source>
        <translation>已达时间上限</translation>
    </message>
    <message>
        <source>loop caught</source>
        <translation>检测到循环</translation>
    </message>
    <message>
        <source>you asked for the answer</source>
        <translation>你要求立即作答</translation>
    </message>
    <message>
        <source>inserted by QwQ Desktop</source>
        <translation>QwQ 桌面版插入</translation>
    </message>
    <message>
        <source>your hint</source>
        <translation>你的提示</translation>
    </message>
    <message>
        <source>Reasoning</source>
        <translation>思考过程</translation>
    </message>
    <message>
        <source>Read beside the answer</source>
        <translation>在回答旁阅读</translation>
    </message>
    <message>
        <source>Read the reasoning beside the answer</source>
        <translation>在回答旁阅读思考过程</translation>
    </message>
    <message>
        <source>Reasoning shown; Space hides it</source>
        <translation>思考过程已展开；按空格键收起</translation>
    </message>
    <message>
        <source>Reasoning hidden; Space shows it</source>
        <translation>思考过程已收起；按空格键展开</translation>
    </message>
    <message>
        <source>[{label}] </source>
        <translation>[{label}] </translation>
    </message>
    <message>
        <source>{duration} · {tokens:,} tokens</source>
        <translation>{duration} · {tokens:,} 词元</translation>
    </message>
    <message>
        <source>Thinking… {figures}</source>
        <translation>思考中… {figures}</translation>
    </message>
    <message>
        <source> · answering now</source>
        <translation> · 正在作答</translation>
    </message>
    <message>
        <source>Thought for {figures}</source>
        <translation>已思考 {figures}</translation>
    </message>
    <message>
        <source> · {ending}</source>
        <translation> · {ending}</translation>
    </message>
    <message>
        <source>Thinking stopped after {figures} (unfinished)</source>
        <translation>思考在 {figures} 后中止（未完成）</translation>
    </message>
    <message>
        <source>QwQ is thinking</source>
        <translation>QwQ 正在思考</translation>
    </message>
</context>
<context>
    <name>RemoteDialog</name>
    <message>
        <source>Use a remote endpoint</source>
        <translation>使用远程端点</translation>
    </message>
    <message>
        <source>Service</source>
        <translation>服务</translation>
    </message>
    <message>
        <source>Base URL</source>
        <translation>基础 URL</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>API key</source>
        <translation>API 密钥</translation>
    </message>
    <message>
        <source>Use it</source>
        <translation>使用</translation>
    </message>
    <message>
        <source> or </source>
        <translation> 或 </translation>
    </message>
    <message>
        <source> The key may also come from {variables}.</source>
        <translation> 密钥也可以来自环境变量 {variables}。</translation>
    </message>
    <message>
        <source>Name the model the endpoint serves (DashScope: qwq-32b).</source>
        <translation>请填写该端点提供的模型名称（DashScope：qwq-32b）。</translation>
    </message>
    <message>
        <source>{service} needs an API key.</source>
        <translation>{service} 需要 API 密钥。</translation>
    </message>
</context>
<context>
    <name>RemoteEngine</name>
    <message>
        <source>The endpoint URL must start with http:// or https:// and name a host: {url}.</source>
        <translation>端点 URL 必须以 http:// 或 https:// 开头并包含主机名：{url}。</translation>
    </message>
    <message>
        <source>Replies come from {url} (model {model}).</source>
        <translation>回复来自 {url}（模型 {model}）。</translation>
    </message>
    <message>
        <source>Tools work with a local model; this remote endpoint cannot use them yet. Turn the tools off or load a local model.</source>
        <translation>工具只能配合本地模型使用；此远程端点暂时无法使用工具。请关闭工具或加载本地模型。</translation>
    </message>
</context>
<context>
    <name>RemoteErrors</name>
    <message>
        <source>: {detail}</source>
        <translation>：{detail}</translation>
    </message>
    <message>
        <source>.</source>
        <translation>。</translation>
    </message>
    <message>
        <source>try again in {wait}.</source>
        <translation>请在 {wait}后重试。</translation>
    </message>
    <message>
        <source>try again later.</source>
        <translation>请稍后重试。</translation>
    </message>
    <message>
        <source>The endpoint refused the API key (401): check the key set for {host}.</source>
        <translation>端点拒绝了 API 密钥（401）：请检查为 {host} 设置的密钥。</translation>
    </message>
    <message>
        <source>The endpoint needs an API key (401): set one for {host}.</source>
        <translation>端点需要 API 密钥（401）：请为 {host} 设置密钥。</translation>
    </message>
    <message>
        <source>The endpoint refused access to &apos;{model}&apos; (403): check that the API key may use this model.</source>
        <translation>端点拒绝访问“{model}”（403）：请确认该 API 密钥有权使用此模型。</translation>
    </message>
    <message>
        <source>The endpoint has no model &apos;{model}&apos; or no chat completions at {url} (404): check the base URL and the model name.</source>
        <translation>端点 {url} 上没有模型“{model}”或没有对话补全接口（404）：请检查基础 URL 和模型名称。</translation>
    </message>
    <message>
        <source>The endpoint refused the request for lack of quota (429): check the account&apos;s balance or plan.</source>
        <translation>端点因额度不足拒绝了请求（429）：请检查账户余额或套餐。</translation>
    </message>
    <message>
        <source>The endpoint is rate-limiting requests (429): {later}</source>
        <translation>端点正在限制请求频率（429）：{later}</translation>
    </message>
    <message>
        <source>The conversation is too long for the endpoint (413): start a new one or shorten it.</source>
        <translation>对话对该端点来说太长（413）：请新建对话或缩短内容。</translation>
    </message>
    <message>
        <source>The endpoint rejected the request ({status}){said}</source>
        <translation>端点拒绝了请求（{status}）{said}</translation>
    </message>
    <message>
        <source>The endpoint is unavailable right now (503): {later}</source>
        <translation>端点暂时不可用（503）：{later}</translation>
    </message>
    <message>
        <source>The endpoint&apos;s gateway failed ({status}): {later}</source>
        <translation>端点的网关出错（{status}）：{later}</translation>
    </message>
    <message>
        <source>The endpoint failed with a server error ({status}): {later}</source>
        <translation>端点出现服务器错误（{status}）：{later}</translation>
    </message>
    <message>
        <source>The endpoint refused the request ({status}){said}</source>
        <translation>端点拒绝了请求（{status}）{said}</translation>
    </message>
    <message>
        <source>Could not connect to {where} within {seconds:g} seconds: check the URL and the network.</source>
        <translation>{seconds:g} 秒内无法连接到 {where}：请检查 URL 和网络。</translation>
    </message>
    <message>
        <source>The endpoint sent nothing for {seconds:g} seconds: it may be overloaded; try again.</source>
        <translation>端点 {seconds:g} 秒内没有发送任何内容：它可能负载过高，请重试。</translation>
    </message>
    <message>
        <source>The request to {where} timed out: try again.</source>
        <translation>对 {where} 的请求超时：请重试。</translation>
    </message>
    <message>
        <source>{where} closed the connection without answering: check that the URL is an OpenAI-compatible API.</source>
        <translation>{where} 未作应答就关闭了连接：请确认该 URL 是 OpenAI 兼容 API。</translation>
    </message>
    <message>
        <source>The reply from {where} could not be read ({why}).</source>
        <translation>无法读取来自 {where} 的回复（{why}）。</translation>
    </message>
    <message>
        <source>Could not connect to {where} (connection refused): check that the server is running and the URL is right.</source>
        <translation>无法连接到 {where}（连接被拒绝）：请确认服务器正在运行且 URL 正确。</translation>
    </message>
    <message>
        <source>Could not find the host {host}: check the URL and the network.</source>
        <translation>找不到主机 {host}：请检查 URL 和网络。</translation>
    </message>
    <message>
        <source>not trusted</source>
        <translation>不受信任</translation>
    </message>
    <message>
        <source>The certificate of {where} failed verification ({reason}): check the URL, or the system&apos;s trusted certificates.</source>
        <translation>{where} 的证书未通过验证（{reason}）：请检查 URL 或系统的受信任证书。</translation>
    </message>
    <message>
        <source>Could not make a secure connection to {where} ({why}): check the URL.</source>
        <translation>无法与 {where} 建立安全连接（{why}）：请检查 URL。</translation>
    </message>
    <message>
        <source>Could not connect to {where} ({why}): check the URL.</source>
        <translation>无法连接到 {where}（{why}）：请检查 URL。</translation>
    </message>
    <message>
        <source>The endpoint sent a garbled stream chunk (not JSON: {snippet}): check that {url} is an OpenAI-compatible API.</source>
        <translation>端点发送了无法解析的流数据块（不是 JSON：{snippet}）：请确认 {url} 是 OpenAI 兼容 API。</translation>
    </message>
    <message>
        <source>The connection to {where} dropped before the reply finished: try again.</source>
        <translation>回复完成前与 {where} 的连接断开了：请重试。</translation>
    </message>
    <message>
        <source>The endpoint reported an error during the reply: {message}</source>
        <translation>端点在回复过程中报告了错误：{message}</translation>
    </message>
    <message>
        <source>The endpoint did not answer as an OpenAI-compatible API (it sent {kind}): check the base URL, which usually ends in /v1.</source>
        <translation>端点的应答不像 OpenAI 兼容 API（它发送的是 {kind}）：请检查基础 URL，它通常以 /v1 结尾。</translation>
    </message>
    <message>
        <source>The endpoint&apos;s answer is larger than {mb} MB: it is not a reply this app can take.</source>
        <translation>端点的应答超过 {mb} MB：本应用无法接收这样的回复。</translation>
    </message>
    <message>
        <source>The endpoint sent a stream line longer than {mb} MB: it is not an OpenAI-compatible stream.</source>
        <translation>端点发送的流数据行超过 {mb} MB：这不是 OpenAI 兼容的流。</translation>
    </message>
    <message>
        <source>The endpoint&apos;s content filter stopped the reply: rephrase the question.</source>
        <translation>端点的内容过滤器中止了回复：请换一种问法。</translation>
    </message>
    <message>
        <source>The reply failed: {why}</source>
        <translation>回复失败：{why}</translation>
    </message>
</context>
<context>
    <name>RemotePreset</name>
    <message>
        <source>This endpoint is not set up to continue a reply: Answer now, Continue, Steer and the thinking budget need llama-server or vLLM.</source>
        <translation>此端点不支持继续回复：“立即作答”、“继续”、“引导”和思考预算需要 llama-server 或 vLLM。</translation>
    </message>
    <message>
        <source>DashScope (Alibaba Cloud Model Studio)</source>
        <translation>阿里云百炼 DashScope</translation>
    </message>
    <message>
        <source>Uses a Model Studio API key of the same region as the URL: Beijing (dashscope.aliyuncs.com), Singapore (dashscope-intl.aliyuncs.com) or Virginia (dashscope-us.aliyuncs.com). qwq-32b only streams, and ignores system messages.</source>
        <translation>使用与 URL 同一地域的百炼 API 密钥：北京（dashscope.aliyuncs.com）、新加坡（dashscope-intl.aliyuncs.com）或弗吉尼亚（dashscope-us.aliyuncs.com）。qwq-32b 仅支持流式输出，并会忽略系统消息。</translation>
    </message>
    <message>
        <source>DashScope cannot continue a reply of qwq-32b (its partial mode is for other models), so Answer now, Continue, Steer and the thinking budget are off here.</source>
        <translation>DashScope 无法继续 qwq-32b 的回复（其前缀续写模式只适用于其他模型），因此这里不能使用“立即作答”、“继续”、“引导”和思考预算。</translation>
    </message>
    <message>
        <source>Start it with: vllm serve Qwen/QwQ-32B --reasoning-parser deepseek_r1 (vLLM 0.8 and older also need --enable-reasoning). The model name is the one it serves (--served-model-name, else the model path). A key only with --api-key.</source>
        <translation>启动命令：vllm serve Qwen/QwQ-32B --reasoning-parser deepseek_r1（vLLM 0.8 及更早版本还需要 --enable-reasoning）。模型名称为它提供的名称（--served-model-name，否则为模型路径）。只有用 --api-key 启动时才需要密钥。</translation>
    </message>
    <message>
        <source>llama.cpp server (llama-server)</source>
        <translation>llama.cpp 服务器（llama-server）</translation>
    </message>
    <message>
        <source>Start it with: llama-server -m QwQ-32B-Q4_K_M.gguf -c 32768 --jinja --reasoning-format deepseek. It serves the one model it loaded, whatever the model name. A key only with --api-key. Answer now, Continue and Steer need a build from May 2025 or later, without --no-prefill-assistant.</source>
        <translation>启动命令：llama-server -m QwQ-32B-Q4_K_M.gguf -c 32768 --jinja --reasoning-format deepseek。无论模型名称填什么，它都只提供已加载的那个模型。只有用 --api-key 启动时才需要密钥。“立即作答”、“继续”和“引导”需要 2025 年 5 月或之后的版本，且不能使用 --no-prefill-assistant。</translation>
    </message>
    <message>
        <source>Other OpenAI-compatible endpoint</source>
        <translation>其他 OpenAI 兼容端点</translation>
    </message>
    <message>
        <source>Any server with /v1/chat/completions. The reasoning is read from reasoning_content, reasoning, or &lt;think&gt; tags in the reply.</source>
        <translation>任何提供 /v1/chat/completions 的服务器。思考过程从回复中的 reasoning_content、reasoning 字段或 &lt;think&gt; 标签读取。</translation>
    </message>
</context>
<context>
    <name>Replies</name>
    <message>
        <source>No model is loaded.</source>
        <translation>未加载模型。</translation>
    </message>
    <message>
        <source>Load a model first: Ctrl+O opens a GGUF file.</source>
        <translation>请先加载模型：按 Ctrl+O 打开 GGUF 文件。</translation>
    </message>
    <message>
        <source>Steer</source>
        <translation>引导</translation>
    </message>
    <message>
        <source>A hint for QwQ&apos;s thinking (it goes into the trace, marked as yours):</source>
        <translation>给 QwQ 思考的提示（会写入思考过程，并标为你的提示）：</translation>
    </message>
    <message>
        <source>Continue thinking</source>
        <translation>继续思考</translation>
    </message>
    <message>
        <source>Hint for QwQ&apos;s thinking</source>
        <translation>给 QwQ 思考的提示</translation>
    </message>
    <message>
        <source>Could not continue: {error}</source>
        <translation>无法继续：{error}</translation>
    </message>
</context>
<context>
    <name>ReplyController</name>
    <message>
        <source>Not saved: {error}</source>
        <translation>未保存：{error}</translation>
    </message>
    <message>
        <source>Could not answer: {error}</source>
        <translation>无法回答：{error}</translation>
    </message>
</context>
<context>
    <name>Resume</name>
    <message>
        <source>This reply cannot be continued: its stored text does not read as a trace and an answer.</source>
        <translation>这条回复无法继续：保存的文本无法拆分为思考过程和回答。</translation>
    </message>
</context>
<context>
    <name>ServerRow</name>
    <message>
        <source>Stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>正在启动…</translation>
    </message>
    <message>
        <source>Ready: {count} tools</source>
        <translation>就绪：{count} 个工具</translation>
    </message>
    <message>
        <source>Failed: {error}</source>
        <translation>失败：{error}</translation>
    </message>
    <message>
        <source>Turned off in settings.json</source>
        <translation>已在 settings.json 中关闭</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>启动</translation>
    </message>
    <message>
        <source>Stop {name}</source>
        <translation>停止 {name}</translation>
    </message>
    <message>
        <source>Start {name}</source>
        <translation>启动 {name}</translation>
    </message>
    <message>
        <source>Use {tool} of {server}</source>
        <translation>使用 {server} 的 {tool}</translation>
    </message>
    <message>
        <source>read-only (runs without asking)</source>
        <translation>只读（运行前不询问）</translation>
    </message>
    <message>
        <source>{tool} of {server} runs without asking</source>
        <translation>{server} 的 {tool} 运行前不询问</translation>
    </message>
</context>
<context>
    <name>SettingsControl</name>
    <message>
        <source>Could not save the settings: {error}</source>
        <translation>无法保存设置：{error}</translation>
    </message>
    <message>
        <source>The new language applies when QwQ Desktop starts again.</source>
        <translation>新的界面语言将在 QwQ 桌面版下次启动时生效。</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Sampling (defaults: the QwQ-32B model card)</source>
        <translation>采样（默认值来自 QwQ-32B 模型卡）</translation>
    </message>
    <message>
        <source>Until done</source>
        <translation>直到完成</translation>
    </message>
    <message>
        <source>Temperature</source>
        <translation>温度</translation>
    </message>
    <message>
        <source>Top P</source>
        <translation>Top-P 采样</translation>
    </message>
    <message>
        <source>Top K</source>
        <translation>Top-K 采样</translation>
    </message>
    <message>
        <source>Min P</source>
        <translation>Min-P 采样</translation>
    </message>
    <message>
        <source>Presence penalty</source>
        <translation>存在惩罚</translation>
    </message>
    <message>
        <source>Repeat penalty</source>
        <translation>重复惩罚</translation>
    </message>
    <message>
        <source>Max tokens</source>
        <translation>最大词元数</translation>
    </message>
    <message>
        <source>When QwQ&apos;s thinking starts repeating itself word for word: close the trace and answer from it, stop the reply, or let it run.</source>
        <translation>当 QwQ 的思考开始逐字重复时：结束思考并据此作答、停止回复，或任其继续。</translation>
    </message>
    <message>
        <source>Answer from the thinking</source>
        <translation>根据思考作答</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Off</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Loop guard</source>
        <translation>循环检测</translation>
    </message>
    <message>
        <source>How long QwQ may think in a new conversation before it answers from its thinking</source>
        <translation>在新对话中，QwQ 最多可思考多久，之后根据思考作答</translation>
    </message>
    <message>
        <source>Thinking budget</source>
        <translation>思考预算</translation>
    </message>
    <message>
        <source>Reset to the model card&apos;s defaults</source>
        <translation>恢复为模型卡默认值</translation>
    </message>
    <message>
        <source>Model loading (applies when a model is loaded)</source>
        <translation>模型加载（下次加载模型时生效）</translation>
    </message>
    <message>
        <source>Automatic</source>
        <translation>自动</translation>
    </message>
    <message>
        <source>Context length</source>
        <translation>上下文长度</translation>
    </message>
    <message>
        <source>f16 (full precision)</source>
        <translation>f16（全精度）</translation>
    </message>
    <message>
        <source>q8_0 (half the memory; uses flash attention)</source>
        <translation>q8_0（内存减半；使用 flash attention）</translation>
    </message>
    <message>
        <source>GPU layers</source>
        <translation>GPU 层数</translation>
    </message>
    <message>
        <source>KV cache</source>
        <translation>KV 缓存</translation>
    </message>
    <message>
        <source>Threads</source>
        <translation>线程数</translation>
    </message>
    <message>
        <source>The most disk space conversation snapshots may take (the least recently used go first); Off: every conversation is read again after a switch or a restart</source>
        <translation>对话快照最多可占用的磁盘空间（最久未用的先删除）；关闭：切换对话或重启后，每个对话都要重新读取</translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>清除</translation>
    </message>
    <message>
        <source>Conversation snapshots</source>
        <translation>对话快照</translation>
    </message>
    <message>
        <source>Clear conversation snapshots</source>
        <translation>清除对话快照</translation>
    </message>
    <message>
        <source>Local API (the status bar&apos;s API button; serves on 127.0.0.1)</source>
        <translation>本地 API（状态栏的 API 按钮；在 127.0.0.1 上提供服务）</translation>
    </message>
    <message>
        <source>none: any program on this machine may use it</source>
        <translation>留空：本机任何程序都可使用</translation>
    </message>
    <message>
        <source>Port</source>
        <translation>端口</translation>
    </message>
    <message>
        <source>API key</source>
        <translation>API 密钥</translation>
    </message>
    <message>
        <source>Appearance and data</source>
        <translation>外观与数据</translation>
    </message>
    <message>
        <source>Follow the system</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>浅色</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>深色</translation>
    </message>
    <message>
        <source>The language of the window; applies at the next start</source>
        <translation>界面语言；下次启动时生效</translation>
    </message>
    <message>
        <source>Conversations: {data}
Models: {models}
Settings: {config}
Log: {logs}</source>
        <translation>对话：{data}
模型：{models}
设置：{config}
日志：{logs}</translation>
    </message>
    <message>
        <source>Theme</source>
        <translation>主题</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>Data folder</source>
        <translation>数据文件夹</translation>
    </message>
    <message>
        <source>Engine</source>
        <translation>推理引擎</translation>
    </message>
    <message>
        <source>{size} used</source>
        <translation>已用 {size}</translation>
    </message>
    <message>
        <source>Wait until the reply is done: it is using the model&apos;s memory</source>
        <translation>请等回复完成：它正在使用模型的内存</translation>
    </message>
    <message>
        <source>Delete every conversation snapshot (conversations are kept)</source>
        <translation>删除所有对话快照（对话本身会保留）</translation>
    </message>
    <message>
        <source>Not cleared: a reply is running</source>
        <translation>未清除：正在生成回复</translation>
    </message>
    <message>
        <source>Could not clear them: {error}</source>
        <translation>无法清除：{error}</translation>
    </message>
    <message>
        <source>GPU offload available</source>
        <translation>支持 GPU 加速</translation>
    </message>
    <message>
        <source>no GPU offload</source>
        <translation>不支持 GPU 加速</translation>
    </message>
    <message>
        <source>llama.cpp via llama-cpp-python {version}: {backend} build ({offload})</source>
        <translation>llama.cpp（llama-cpp-python {version}）：{backend} 版本（{offload}）</translation>
    </message>
</context>
<context>
    <name>SiblingNavigator</name>
    <message>
        <source>Previous version</source>
        <translation>上一个版本</translation>
    </message>
    <message>
        <source>Show the previous version</source>
        <translation>显示上一个版本</translation>
    </message>
    <message>
        <source>Next version</source>
        <translation>下一个版本</translation>
    </message>
    <message>
        <source>Show the next version</source>
        <translation>显示下一个版本</translation>
    </message>
    <message>
        <source>Version {0} of {1}</source>
        <translation>第 {0} 个版本，共 {1} 个</translation>
    </message>
</context>
<context>
    <name>Sidebar</name>
    <message>
        <source>Older</source>
        <translation>更早</translation>
    </message>
    <message>
        <source>Today</source>
        <translation>今天</translation>
    </message>
    <message>
        <source>Yesterday</source>
        <translation>昨天</translation>
    </message>
    <message>
        <source>Previous 7 days</source>
        <translation>过去 7 天</translation>
    </message>
    <message>
        <source>Previous 30 days</source>
        <translation>过去 30 天</translation>
    </message>
    <message>
        <source>MMMM yyyy</source>
        <translation>yyyy年M月</translation>
    </message>
    <message>
        <source>New chat</source>
        <translation>新对话</translation>
    </message>
    <message>
        <source>Part of this conversation&apos;s stored data is unreadable ({damaged}). It is shown as far as it can be read; you can export or delete it.</source>
        <translation>此对话保存的部分数据无法读取（{damaged}）。能读取的部分已显示；你可以导出或删除它。</translation>
    </message>
</context>
<context>
    <name>SourceBeside</name>
    <message>
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>Open the file</source>
        <translation>打开文件</translation>
    </message>
    <message>
        <source>The cited passage</source>
        <translation>被引用的段落</translation>
    </message>
</context>
<context>
    <name>Sources</name>
    <message>
        <source>{name} is not a valid repository name: use OWNER/NAME, with letters, digits, &apos;-&apos;, &apos;_&apos; and &apos;.&apos; only (for example Qwen/QwQ-32B-GGUF).</source>
        <translation>{name} 不是有效的仓库名：请使用“所有者/名称”格式，只能包含字母、数字、“-”、“_”和“.”（例如 Qwen/QwQ-32B-GGUF）。</translation>
    </message>
    <message>
        <source>{name} is not a valid file name in a repository: use a relative path such as fp16/model-00001-of-00002.gguf, without &apos;..&apos;, &apos;\&apos; or &apos;:&apos;.</source>
        <translation>{name} 不是仓库中有效的文件名：请使用相对路径，例如 fp16/model-00001-of-00002.gguf，且不能包含“..”、“\”或“:”。</translation>
    </message>
    <message>
        <source>Unknown source {choice}: use &apos;hf&apos;, &apos;modelscope&apos; or a Hub mirror&apos;s URL (for example https://hf-mirror.com).</source>
        <translation>未知的下载源 {choice}：请使用“hf”、“modelscope”或 Hugging Face 镜像站的 URL（例如 https://hf-mirror.com）。</translation>
    </message>
    <message>
        <source>HF_HUB_OFFLINE is set, so huggingface-hub refuses to download: unset it.</source>
        <translation>已设置 HF_HUB_OFFLINE，huggingface-hub 因此拒绝下载：请取消该设置。</translation>
    </message>
    <message>
        <source>{repo} is gated: accept its terms on the Hub and set HF_TOKEN.</source>
        <translation>{repo} 需要申请访问：请在 Hugging Face 上接受其条款并设置 HF_TOKEN。</translation>
    </message>
    <message>
        <source> (if it is private, set HF_TOKEN)</source>
        <translation>（如果是私有仓库，请设置 HF_TOKEN）</translation>
    </message>
    <message>
        <source>No repo {repo} on {source}{hint}.</source>
        <translation>{source} 上没有仓库 {repo}{hint}。</translation>
    </message>
    <message>
        <source>No file {path} in {repo} on {source}.</source>
        <translation>{source} 上的 {repo} 中没有文件 {path}。</translation>
    </message>
    <message>
        <source>{source} answered HTTP {status} for {repo}/{path}.</source>
        <translation>{source} 对 {repo}/{path} 返回了 HTTP {status}。</translation>
    </message>
    <message>
        <source>Cannot reach {source} ({url}): {why}. Check the connection, or choose another source (a Hub mirror or ModelScope).</source>
        <translation>无法访问 {source}（{url}）：{why}。请检查网络连接，或换一个下载源（Hugging Face 镜像站或魔搭 ModelScope）。</translation>
    </message>
    <message>
        <source>{source} gave no size for {repo}/{path}.</source>
        <translation>{source} 没有给出 {repo}/{path} 的大小。</translation>
    </message>
    <message>
        <source>Cannot reach ModelScope ({url}): {why}.</source>
        <translation>无法访问魔搭 ModelScope（{url}）：{why}。</translation>
    </message>
    <message>
        <source>No repo {repo} on ModelScope.</source>
        <translation>魔搭 ModelScope 上没有仓库 {repo}。</translation>
    </message>
    <message>
        <source>ModelScope answered HTTP {status} for {repo}.</source>
        <translation>魔搭 ModelScope 对 {repo} 返回了 HTTP {status}。</translation>
    </message>
    <message>
        <source>ModelScope sent an unreadable file list for {repo}.</source>
        <translation>魔搭 ModelScope 返回的 {repo} 文件列表无法读取。</translation>
    </message>
    <message>
        <source>No file {path} in {repo} on ModelScope.</source>
        <translation>魔搭 ModelScope 上的 {repo} 中没有文件 {path}。</translation>
    </message>
</context>
<context>
    <name>SystemPromptButton</name>
    <message>
        <source>save the system prompt</source>
        <translation>保存系统提示词</translation>
    </message>
    <message>
        <source>System prompt (set)</source>
        <translation>系统提示词（已设置）</translation>
    </message>
    <message>
        <source>System prompt: {prompt}</source>
        <translation>系统提示词：{prompt}</translation>
    </message>
    <message>
        <source>System prompt</source>
        <translation>系统提示词</translation>
    </message>
    <message>
        <source>System prompt: none. Click to give this conversation one.</source>
        <translation>系统提示词：无。点击为此对话设置。</translation>
    </message>
</context>
<context>
    <name>SystemPromptDialog</name>
    <message>
        <source>System prompt</source>
        <translation>系统提示词</translation>
    </message>
    <message>
        <source>Instructions QwQ follows in this conversation</source>
        <translation>QwQ 在此对话中遵循的指示</translation>
    </message>
    <message>
        <source>Math: step by step, answer in \boxed{}</source>
        <translation>数学：逐步推导，答案写在 \boxed{} 中</translation>
    </message>
</context>
<context>
    <name>Thinking</name>
    <message>
        <source>The hint is empty.</source>
        <translation>提示为空。</translation>
    </message>
    <message>
        <source>The hint is {length:,} characters; at most {limit:,} fit.</source>
        <translation>提示有 {length:,} 个字符；最多只能容纳 {limit:,} 个。</translation>
    </message>
    <message>
        <source>A hint cannot contain &lt;think&gt; or &lt;/think&gt;.</source>
        <translation>提示中不能包含 &lt;think&gt; 或 &lt;/think&gt;。</translation>
    </message>
</context>
<context>
    <name>ToolCallCard</name>
    <message>
        <source>Malformed tool call</source>
        <translation>格式错误的工具调用</translation>
    </message>
    <message>
        <source>Result</source>
        <translation>结果</translation>
    </message>
    <message>
        <source>Show the result</source>
        <translation>显示结果</translation>
    </message>
    <message>
        <source>Result of {name}</source>
        <translation>{name} 的结果</translation>
    </message>
    <message>
        <source>Allow once</source>
        <translation>允许一次</translation>
    </message>
    <message>
        <source>Allow in this conversation</source>
        <translation>在此对话中允许</translation>
    </message>
    <message>
        <source>Deny</source>
        <translation>拒绝</translation>
    </message>
    <message>
        <source>Tool call: {name}</source>
        <translation>工具调用：{name}</translation>
    </message>
    <message>
        <source>Malformed: {why}</source>
        <translation>格式错误：{why}</translation>
    </message>
    <message>
        <source>Running…</source>
        <translation>运行中…</translation>
    </message>
    <message>
        <source>Waiting for you</source>
        <translation>等待你的确认</translation>
    </message>
    <message>
        <source>QwQ asks to run {name}: allow or deny</source>
        <translation>QwQ 请求运行 {name}：允许或拒绝</translation>
    </message>
    <message>
        <source>Denied</source>
        <translation>已拒绝</translation>
    </message>
    <message>
        <source>Done · {time}</source>
        <translation>完成 · {time}</translation>
    </message>
    <message>
        <source>Failed · {time}</source>
        <translation>失败 · {time}</translation>
    </message>
    <message>
        <source>allowed once</source>
        <translation>已允许一次</translation>
    </message>
    <message>
        <source>allowed in this conversation</source>
        <translation>已在此对话中允许</translation>
    </message>
    <message>
        <source>allowed in advance</source>
        <translation>已预先允许</translation>
    </message>
    <message>
        <source>Not run</source>
        <translation>未运行</translation>
    </message>
    <message>
        <source>Hide the result</source>
        <translation>隐藏结果</translation>
    </message>
</context>
<context>
    <name>ToolChoice</name>
    <message>
        <source>A tool call is required, but no tools are offered.</source>
        <translation>要求调用工具，但没有提供任何工具。</translation>
    </message>
    <message>
        <source>The tool {name} is required, but it is not offered.</source>
        <translation>要求调用工具 {name}，但没有提供该工具。</translation>
    </message>
</context>
<context>
    <name>ToolRow</name>
    <message>
        <source>Run QwQ on DashScope, a vLLM or llama-server machine, or any URL</source>
        <translation>在 DashScope、vLLM 或 llama-server 机器，或任意 URL 上运行 QwQ</translation>
    </message>
    <message>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Models: download, choose, delete</source>
        <translation>模型：下载、选择、删除</translation>
    </message>
    <message>
        <source>Remote…</source>
        <translation>远程…</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Settings (Ctrl+,)</source>
        <translation>设置（Ctrl+,）</translation>
    </message>
</context>
<context>
    <name>ToolsBox</name>
    <message>
        <source>Tools (with a local model)</source>
        <translation>工具（配合本地模型）</translation>
    </message>
    <message>
        <source>Calculator: exact arithmetic</source>
        <translation>计算器：精确运算</translation>
    </message>
    <message>
        <source>Python: runs a short check, offline (asks you first)</source>
        <translation>Python：离线运行一小段检查代码（先征得你同意）</translation>
    </message>
    <message>
        <source>Date and time</source>
        <translation>日期和时间</translation>
    </message>
    <message>
        <source>Search your conversations</source>
        <translation>搜索你的对话</translation>
    </message>
    <message>
        <source>QwQ may call these while it answers; each call shows in the reply. Turn all off to answer without tools.</source>
        <translation>QwQ 回答时可以调用这些工具；每次调用都会显示在回复中。全部关闭则不使用工具作答。</translation>
    </message>
    <message>
        <source>Rounds of tool calls in one reply, before it must answer</source>
        <translation>一条回复中工具调用的最多轮数，之后必须作答</translation>
    </message>
    <message>
        <source>Rounds of calls per reply</source>
        <translation>每条回复的调用轮数</translation>
    </message>
</context>
<context>
    <name>TraceBeside</name>
    <message>
        <source>Reasoning</source>
        <translation>思考过程</translation>
    </message>
    <message>
        <source>Reasoning beside the answer</source>
        <translation>回答旁的思考过程</translation>
    </message>
</context>
<context>
    <name>UserMessage</name>
    <message>
        <source>{name} · {tokens:,} tokens</source>
        <translation>{name} · {tokens:,} 词元</translation>
    </message>
    <message>
        <source>Attached: {name}</source>
        <translation>附件：{name}</translation>
    </message>
    <message>
        <source>Edit</source>
        <translation>编辑</translation>
    </message>
    <message>
        <source>Edit message</source>
        <translation>编辑消息</translation>
    </message>
    <message>
        <source>Put this message back in the message box, to send it again changed</source>
        <translation>把这条消息放回输入框，修改后重新发送</translation>
    </message>
</context>
</TS>
