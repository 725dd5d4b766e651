#include "app/core/Workspace.h"

#include "app/core/JsonFile.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

namespace m1::app {
namespace {

QStringList stringList(const QJsonValue& v) {
    QStringList out;
    for (const QJsonValue& s : v.toArray()) out << s.toString();
    return out;
}

}  // namespace

QJsonObject Workspace::toJson() const {
    QJsonArray sources;
    for (const WorkspaceSource& s : m_sources) {
        QJsonObject o{{"path", s.path}, {"included", s.included}};
        if (!s.kind.isEmpty()) o["kind"] = s.kind;
        if (!s.include.isEmpty()) o["include"] = QJsonArray::fromStringList(s.include);
        if (!s.exclude.isEmpty()) o["exclude"] = QJsonArray::fromStringList(s.exclude);
        if (!s.ref.isEmpty()) o["ref"] = s.ref;
        if (s.contract) o["contract"] = true;
        sources.append(o);
    }
    const WorkspaceSettings& st = m_settings;
    return QJsonObject{{"version", kFormatVersion},
                       {"name", m_name},
                       {"sources", sources},
                       {"settings", QJsonObject{{"model", st.model},
                                                {"endpoint", st.endpoint},
                                                {"backend", st.backend},
                                                {"temperature", st.sampling.temperature},
                                                {"top_p", st.sampling.topP},
                                                {"top_k", st.sampling.topK},
                                                {"seed", QString::number(st.sampling.seed)},
                                                {"output_budget", st.sampling.maxOutputTokens},
                                                {"system_preset", st.systemPreset},
                                                {"system_prompt", st.systemPrompt}}}};
}

bool Workspace::fromJson(const QJsonObject& root, const QString& origin, QString* error) {
    const int version = root.value(QStringLiteral("version")).toInt(kFormatVersion);
    if (version != kFormatVersion) {
        *error = QStringLiteral("%1: workspace format version %2 is not supported (this build reads version %3)")
                     .arg(origin)
                     .arg(version)
                     .arg(kFormatVersion);
        return false;
    }
    if (!root.value(QStringLiteral("sources")).isArray()) {
        *error = QStringLiteral("%1: a workspace needs a \"sources\" array").arg(origin);
        return false;
    }
    QList<WorkspaceSource> sources;
    for (const QJsonValue& v : root.value(QStringLiteral("sources")).toArray()) {
        const QJsonObject o = v.toObject();
        WorkspaceSource s;
        s.path = o.value(QStringLiteral("path")).toString();
        s.kind = o.value(QStringLiteral("kind")).toString();
        s.included = o.value(QStringLiteral("included")).toBool(true);
        s.include = stringList(o.value(QStringLiteral("include")));
        s.exclude = stringList(o.value(QStringLiteral("exclude")));
        s.ref = o.value(QStringLiteral("ref")).toString();
        s.contract = o.value(QStringLiteral("contract")).toBool(false);
        if (s.path.isEmpty()) {
            *error = QStringLiteral("%1: source %2 has no \"path\"").arg(origin).arg(sources.size() + 1);
            return false;
        }
        sources.append(s);
    }
    WorkspaceSettings st;
    const QJsonObject so = root.value(QStringLiteral("settings")).toObject();
    st.model = so.value(QStringLiteral("model")).toString();
    st.endpoint = so.value(QStringLiteral("endpoint")).toString();
    st.backend = so.value(QStringLiteral("backend")).toString(st.backend);
    st.sampling.temperature = so.value(QStringLiteral("temperature")).toDouble(st.sampling.temperature);
    st.sampling.topP = so.value(QStringLiteral("top_p")).toDouble(st.sampling.topP);
    st.sampling.topK = so.value(QStringLiteral("top_k")).toInt(st.sampling.topK);
    st.sampling.seed = so.value(QStringLiteral("seed")).toString(QStringLiteral("0")).toULongLong();
    st.sampling.maxOutputTokens = so.value(QStringLiteral("output_budget")).toInt(st.sampling.maxOutputTokens);
    st.systemPreset = so.value(QStringLiteral("system_preset")).toString(st.systemPreset);
    st.systemPrompt = so.value(QStringLiteral("system_prompt")).toString();
    if (st.sampling.temperature < 0 || st.sampling.topP <= 0 || st.sampling.topP > 1 || st.sampling.maxOutputTokens < 1) {
        *error = QStringLiteral("%1: settings out of range (temperature >= 0, 0 < top_p <= 1, output_budget >= 1)")
                     .arg(origin);
        return false;
    }
    m_name = root.value(QStringLiteral("name")).toString(QFileInfo(origin).completeBaseName());
    m_sources = sources;
    m_settings = st;
    return true;
}

bool Workspace::load(const QString& file, QString* error) {
    QJsonObject json;
    if (!readJsonObjectFile(file, QStringLiteral("workspace"), &json, error)) return false;
    Workspace loaded;
    if (!loaded.fromJson(json, file, error)) return false;
    loaded.m_file = QFileInfo(file).absoluteFilePath();
    *this = loaded;
    return true;
}

bool Workspace::save(const QString& file, QString* error) {
    if (!writeFileAtomically(file, QJsonDocument(toJson()).toJson(QJsonDocument::Indented), error)) return false;
    m_file = QFileInfo(file).absoluteFilePath();
    return true;
}

QString Workspace::absolutePath(const WorkspaceSource& source) const {
    return QDir::cleanPath(QFileInfo(m_file).absoluteDir().absoluteFilePath(source.path));
}

}  // namespace m1::app
