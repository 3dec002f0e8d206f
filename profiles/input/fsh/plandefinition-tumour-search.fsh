// The age-aware tumour search (DESIGN.md, "Age-aware tumour search"). Facts and sources:
// ../shared/reference/clinical-sources.md. The track is chosen here, by age, as data.

Instance: oms-tumour-search
InstanceOf: PlanDefinition
Usage: #definition
Title: "OMS tumour search by age"
Description: "Which search for the trigger of OMS a patient gets: the neuroblastoma search in a child, the paraneoplastic and parainfectious search in an adult. One action per track; the one whose applicability condition holds is the patient's track."
* url = "http://oms-cds.org/fhir/PlanDefinition/oms-tumour-search"
* version = "0.1.0"
* name = "OmsTumourSearch"
* title = "Opsoclonus myoclonus syndrome: tumour search by age"
* type = http://terminology.hl7.org/CodeSystem/plan-definition-type#eca-rule
* status = #active
* experimental = false
* date = "2026-12-07"
* publisher = "oms-cds"
* description = "The Genoa criteria and the neuroblastoma search are paediatric. Adults get OMS too, and in adults the trigger to look for is a different tumour (small-cell lung cancer, breast cancer, ovarian teratoma) or an infection. The track follows the age at onset of the neurological signs: an adult whose OMS began in childhood stays on the paediatric track. No source gives a numeric line between children and adults: 18 is this service's choice."
* purpose = "How oms-cds applies it: applicability conditions are FHIRPath evaluated with %ageAtOnset bound to the youngest age, in completed years, at which the neurological signs may have begun (the earliest dated opsoclonus or myoclonus/ataxia, else the age at assessment; partial dates and ranges read as intervals), empty when the age is unknown. The first action whose condition holds is the patient's track; its code is bound as %track and its description as %trackSearch when the checklist and the work-up are applied."
* action[0].title = "paediatric (onset before 18 years, or age unknown)"
* action[0].description = "Search for an occult neuroblastoma: CT or MRI of chest, abdomen and pelvis (the most sensitive test), urine homovanillic acid (HVA) and vanillylmandelic acid (VMA), and MIBG scintigraphy. Repeat the search when it is negative: tumours in OMS are often small and may be found only on a repeated search."
* action[0].code[0].coding[0] = $OMSWORKUP#neuroblastoma-search "Search for a neuroblastoma"
* action[0].condition[0].kind = #applicability
* action[0].condition[0].expression.language = #text/fhirpath
* action[0].condition[0].expression.expression = "%ageAtOnset.empty() or %ageAtOnset < 18"
* action[0].documentation[0].type = #citation
* action[0].documentation[0].citation = "Brunklaus A, Pohl K, Zuberi SM, de Sousa C. Investigating neuroblastoma in childhood opsoclonus-myoclonus syndrome. Arch Dis Child. 2012;97(5):461-463 (CT or MR imaging of chest and abdomen the most accurate test)."
* action[0].documentation[1].type = #citation
* action[0].documentation[1].citation = "Matthay KK, Blaes F, Hero B, et al. Opsoclonus myoclonus syndrome in neuroblastoma: a report from a workshop on the dancing eyes syndrome at the Advances in Neuroblastoma meeting in Genoa, Italy, 2004. Cancer Lett. 2005;228(1-2):275-282."
* action[0].documentation[2].type = #citation
* action[0].documentation[2].citation = "Storz C, Bares R, Ebinger M, Schäfer JF, Gückel B, Nikolaou K, Kramer U. Diagnostic value of whole-body T2-weighted MRI in children with opsoclonus-myoclonus syndrome and its impact on tumour detection. BMC Med Imaging. 2019 (tumours found only on repeated investigation)."
* action[0].documentation[3].type = #citation
* action[0].documentation[3].citation = "Rossor T, Yeh EA, Khakoo Y, et al. Diagnosis and management of opsoclonus-myoclonus-ataxia syndrome in children: an international perspective. Neurol Neuroimmunol Neuroinflamm. 2022;9(3):e1153."
* action[1].title = "adult (onset at 18 years or later)"
* action[1].description = "Search for a paraneoplastic tumour (small-cell lung cancer, breast cancer, ovarian teratoma) or an infection: CT of chest, abdomen and pelvis, and FDG-PET when it is negative; mammography and pelvic ultrasound in women; onconeural and neuronal-surface antibodies (anti-Ri, anti-Hu and anti-NMDAR among them) in serum and CSF; CSF studies. When the search is negative, repeat it at 3-6 months, then every 6 months for up to 4 years."
* action[1].code[0].coding[0] = $OMSWORKUP#paraneoplastic-search "Search for a paraneoplastic tumour or an infection"
* action[1].condition[0].kind = #applicability
* action[1].condition[0].expression.language = #text/fhirpath
* action[1].condition[0].expression.expression = "%ageAtOnset >= 18"
* action[1].documentation[0].type = #citation
* action[1].documentation[0].citation = "Titulaer MJ, Soffietti R, Dalmau J, et al. Screening for tumours in paraneoplastic syndromes: report of an EFNS task force. Eur J Neurol. 2011;18(1):19-e3."
* action[1].documentation[1].type = #citation
* action[1].documentation[1].citation = "Armangué T, Sabater L, Torres-Vega E, et al. Clinical and immunological features of opsoclonus-myoclonus syndrome in the era of neuronal cell surface antibodies. JAMA Neurol. 2016;73(4):417-424."
* action[1].documentation[2].type = #citation
* action[1].documentation[2].citation = "Klaas JP, Ahlskog JE, Pittock SJ, et al. Adult-onset opsoclonus-myoclonus syndrome. Arch Neurol. 2012;69(12):1598-1607."
* action[1].documentation[3].type = #citation
* action[1].documentation[3].citation = "Bataller L, Graus F, Saiz A, Vilchez JJ. Clinical outcome in adult onset idiopathic or paraneoplastic opsoclonus-myoclonus. Brain. 2001;124(2):437-443."
* action[1].documentation[4].type = #citation
* action[1].documentation[4].citation = "Graus F, Vogrig A, Muñiz-Castrillo S, et al. Updated diagnostic criteria for paraneoplastic neurologic syndromes. Neurol Neuroimmunol Neuroinflamm. 2021;8(4):e1014."
