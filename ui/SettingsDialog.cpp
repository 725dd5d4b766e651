#include "ui/SettingsDialog.h"

#include "engine/core/build_info.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>

namespace m1::ui {

SettingsDialog::SettingsDialog(const AppSettings& s, QWidget* parent) : QDialog(parent), m_base(s) {
    setWindowTitle(tr("Model and settings"));
    setAccessibleName(tr("Model and settings"));
    m_modelDir = new QLineEdit(s.modelDir);
    m_modelDir->setAccessibleName(tr("Model directory"));
    m_modelDir->setPlaceholderText(tr("empty: the demo model (tiny, random weights)"));
    auto* browse = new QPushButton(tr("Browse…"));
    browse->setAccessibleName(tr("Browse for the model directory"));
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("MiniMax-M1 model directory"), m_modelDir->text());
        if (!dir.isEmpty()) m_modelDir->setText(dir);
    });
    auto* dirRow = new QHBoxLayout;
    dirRow->addWidget(m_modelDir, 1);
    dirRow->addWidget(browse);
    m_backend = new QComboBox;
    m_backend->setAccessibleName(tr("Backend"));
    m_backend->addItem(tr("CPU"), QStringLiteral("cpu"));
    // One entry per GPU the CUDA runtime sees; without one, a single entry that says why (choosing it reports the
    // reason again when the model loads).
    const m1::gpu_report gpus = m1::query_gpus();
    for (const m1::gpu_device& d : gpus.devices)
        m_backend->addItem(tr("GPU %1: %2 (%3 GiB)")
                               .arg(d.index)
                               .arg(QString::fromStdString(d.name))
                               .arg(double(d.total_bytes) / double(1ull << 30), 0, 'f', 0),
                           QStringLiteral("cuda:%1").arg(d.index));
    if (gpus.devices.empty())
        m_backend->addItem(tr("CUDA — %1").arg(QString::fromStdString(gpus.why_none)), QStringLiteral("cuda"));
    const QString wanted = s.backend == QLatin1String("cuda") && !gpus.devices.empty() ? QStringLiteral("cuda:0")
                                                                                        : s.backend;
    m_backend->setCurrentIndex(qMax(0, m_backend->findData(wanted)));
    m_endpoint = new QLineEdit(s.endpoint);
    m_endpoint->setAccessibleName(tr("Endpoint URL"));
    m_endpoint->setPlaceholderText(tr("http://host:8000/v1 — an OpenAI-compatible server instead of the local model"));
    m_tokenizer = new QLineEdit(s.tokenizerFile);
    m_tokenizer->setAccessibleName(tr("Tokenizer file for the endpoint"));
    m_tokenizer->setPlaceholderText(tr("tokenizer.json that counts the context (MiniMax-M1's)"));
    auto* browseTok = new QPushButton(tr("Browse…"));
    browseTok->setAccessibleName(tr("Browse for the tokenizer file"));
    connect(browseTok, &QPushButton::clicked, this, [this] {
        const QString f = QFileDialog::getOpenFileName(this, tr("tokenizer.json"), m_tokenizer->text(), tr("Tokenizer (*.json)"));
        if (!f.isEmpty()) m_tokenizer->setText(f);
    });
    auto* tokRow = new QHBoxLayout;
    tokRow->addWidget(m_tokenizer, 1);
    tokRow->addWidget(browseTok);
    m_temperature = new QDoubleSpinBox;
    m_temperature->setAccessibleName(tr("Temperature"));
    m_temperature->setRange(0.0, 2.0);
    m_temperature->setSingleStep(0.05);
    m_temperature->setValue(s.temperature);
    m_topP = new QDoubleSpinBox;
    m_topP->setAccessibleName(tr("Top-p"));
    m_topP->setRange(0.01, 1.0);
    m_topP->setSingleStep(0.01);
    m_topP->setValue(s.topP);
    m_budget = new QComboBox;
    m_budget->setAccessibleName(tr("Output budget"));
    m_budget->addItem(tr("40K tokens (MiniMax-M1-40k)"), AppSettings::kBudget40K);
    m_budget->addItem(tr("80K tokens (MiniMax-M1-80k)"), AppSettings::kBudget80K);
    m_budget->setCurrentIndex(qMax(0, m_budget->findData(s.outputBudget)));
    m_preset = new QComboBox;
    m_preset->setAccessibleName(tr("System prompt preset"));
    m_preset->addItem(tr("General"), QStringLiteral("general"));
    m_preset->addItem(tr("Web development"), QStringLiteral("webdev"));
    m_preset->addItem(tr("Mathematics"), QStringLiteral("math"));
    m_preset->setCurrentIndex(qMax(0, m_preset->findData(s.systemPreset)));

    auto* form = new QFormLayout;
    form->addRow(tr("Model directory"), dirRow);
    form->addRow(tr("Backend"), m_backend);
    form->addRow(tr("Endpoint"), m_endpoint);
    form->addRow(tr("Endpoint tokenizer"), tokRow);
    form->addRow(tr("Temperature"), m_temperature);
    form->addRow(tr("Top-p"), m_topP);
    form->addRow(tr("Output budget"), m_budget);
    form->addRow(tr("System prompt"), m_preset);
    auto* note = new QLabel(tr("MiniMax-M1 is tuned for temperature 1.0 and top-p 0.95. The output budget is reserved "
                               "in the context for reasoning and answer."));
    note->setWordWrap(true);
    note->setStyleSheet(QStringLiteral("color: #6b7280;"));
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel | QDialogButtonBox::RestoreDefaults);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(buttons->button(QDialogButtonBox::RestoreDefaults), &QPushButton::clicked, this, [this] {
        const AppSettings d;
        m_temperature->setValue(d.temperature);
        m_topP->setValue(d.topP);
        m_budget->setCurrentIndex(0);
        m_preset->setCurrentIndex(0);
    });
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(note);
    layout->addWidget(buttons);
}

AppSettings SettingsDialog::settings() const {
    AppSettings s = m_base;
    s.modelDir = m_modelDir->text().trimmed();
    s.backend = m_backend->currentData().toString();
    s.endpoint = m_endpoint->text().trimmed();
    s.tokenizerFile = m_tokenizer->text().trimmed();
    s.temperature = m_temperature->value();
    s.topP = m_topP->value();
    s.outputBudget = m_budget->currentData().toInt();
    s.systemPreset = m_preset->currentData().toString();
    return s;
}

}  // namespace m1::ui
